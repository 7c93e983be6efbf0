import { Readable } from 'node:stream';
import type { BackendBody, BackendResponse } from '../../../../../services/object/proxy/backend/storage-client';
import { readSmallBody } from '../../../../../services/object/proxy/controllers/small-body';

/** A replica's answer whose body yields `chunks`, then ends (complete) or fails (cut short). */
function replica(port: number, chunks: string[], ending: 'end' | 'cut'): BackendResponse & { aborted: boolean } {
  const body = Readable.from(
    (async function* () {
      for (const c of chunks) yield Buffer.from(c);
      if (ending === 'cut') throw new Error('connection reset');
    })(),
  ) as Readable & { complete: boolean };
  body.complete = false;
  body.on('end', () => (body.complete = true));
  const r = { node: { ip: '127.0.0.1', port, device: 'd' }, status: 200, headers: {}, body: body as BackendBody, aborted: false, abort: () => (r.aborted = true) };
  return r;
}

describe('readSmallBody', () => {
  test('the first replica whole: its bytes, no other replica asked', async () => {
    const next = jest.fn();
    const body = await readSmallBody(replica(1, ['hel', 'lo'], 'end'), 5, next, () => undefined);
    expect(body?.toString()).toBe('hello');
    expect(next).not.toHaveBeenCalled();
  });

  test('a replica cut mid-body is replaced by the next one; what it sent is dropped', async () => {
    const failed: number[] = [];
    const first = replica(1, ['hel'], 'cut');
    const second = replica(2, ['hello'], 'end');
    const body = await readSmallBody(first, 5, async () => second, (res) => failed.push(res.node.port));
    expect(body?.toString()).toBe('hello');
    expect(failed).toEqual([1]);
    expect(first.aborted).toBe(true);
  });

  test('a body shorter or longer than announced counts as failed', async () => {
    const queue = [replica(2, ['hello world'], 'end'), replica(3, ['hello'], 'end')];
    const failed: string[] = [];
    const body = await readSmallBody(replica(1, ['hel'], 'end'), 5, async () => queue.shift(), (res, e) => failed.push(`${res.node.port}: ${e.message}`));
    expect(body?.toString()).toBe('hello');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/^1: /);
    expect(failed[1]).toMatch(/^2: .*larger than 5 bytes/);
  });

  test('no replica left: undefined (the caller answers 503), every one was asked', async () => {
    const queue = [replica(2, ['he'], 'cut'), replica(3, [], 'cut')];
    const failed: number[] = [];
    expect(await readSmallBody(replica(1, ['h'], 'cut'), 5, async () => queue.shift(), (res) => failed.push(res.node.port))).toBeUndefined();
    expect(failed).toEqual([1, 2, 3]);
  });
});
