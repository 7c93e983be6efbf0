import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AccountReporter, accountReport } from '../../../../../services/object/storage/container/account-reporter';
import type { ContainerRecord } from '../../../../../services/object/storage/container/rows';
import type { PendingUpdate } from '../../../../../services/object/storage/http/container-update';

const target = { host: '127.0.0.1', port: 6001, device: 'sda', partition: '3' };
const ref = { device: 'sdc', account: 'AUTH_a', container: 'c' };

function record(objectCount: number): ContainerRecord {
  return { account: 'AUTH_a', container: 'c', created: '1700000000.00000', putTimestamp: '1700000000.00000', deleteTimestamp: '', metadata: {}, objectCount, bytesUsed: objectCount * 10, accountTarget: target };
}

let dir: string;

/** Waits (bounded) for a condition that asynchronous work (here: real file system calls) makes true. */
async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 2000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'weft-reporter-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('container → account reports', () => {
  test('the report of a record: its timestamps and counts, to its account replica', () => {
    expect(accountReport(record(2))).toEqual({
      layer: 'account',
      method: 'PUT',
      path: '/AUTH_a/c',
      headers: { 'X-Put-Timestamp': '1700000000.00000', 'X-Delete-Timestamp': '0', 'X-Object-Count': '2', 'X-Bytes-Used': '20' },
      target,
    });
    expect(accountReport({ ...record(1), accountTarget: undefined })).toBeUndefined();
  });

  test('a burst of changes: one report in flight, one pending, and the last carries the final counts', async () => {
    let count = 0;
    const sent: PendingUpdate[] = [];
    const gates: (() => void)[] = [];
    const reporter = new AccountReporter({
      devicesRoot: dir,
      secret: { prefix: 'p', suffix: 's' },
      record: async () => record(count),
      send: (u) =>
        new Promise((resolve) => {
          sent.push(u);
          gates.push(() => resolve(true));
        }),
      queue: () => Promise.reject(new Error('not expected')),
    });
    const waits: Promise<unknown>[] = [];
    count = 1;
    reporter.changed(ref);
    await until(() => sent.length === 1);
    for (let i = 2; i <= 10; i++) {
      count = i;
      if (i === 10) waits.push(reporter.report(ref));
      else reporter.changed(ref);
      await new Promise((r) => setImmediate(r));
    }
    // First report in flight (read at count 1); the other nine changes folded into one pending.
    expect(sent).toHaveLength(1);
    gates.shift()!();
    await until(() => sent.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(2);
    gates.shift()!();
    expect(await waits[0]).toBe('sent');
    expect(sent.map((u) => u.headers['X-Object-Count'])).toEqual(['1', '10']);
    expect(reporter.counters).toEqual({ sent: 2, queued: 0, failed: 0 });
  });

  test('a report that is not taken is queued with the report time', async () => {
    const queued: { device: string; hash: string; at: string }[] = [];
    const reporter = new AccountReporter({
      devicesRoot: dir,
      secret: { prefix: 'p', suffix: 's' },
      record: async () => record(3),
      send: async () => false,
      queue: async (device, hash, _u, at) => {
        queued.push({ device, hash, at });
        return 'file';
      },
      clock: () => 1_700_000_123_000,
    });
    expect(await reporter.report(ref)).toBe('queued');
    expect(queued).toEqual([{ device: 'sdc', hash: expect.stringMatching(/^[0-9a-f]{32}$/), at: '1700000123.00000' }]);
  });

  test('no account target: nothing to report', async () => {
    const reporter = new AccountReporter({ devicesRoot: dir, secret: { prefix: 'p', suffix: 's' }, record: async () => ({ ...record(1), accountTarget: undefined }), send: async () => true, queue: async () => 'x' });
    expect(await reporter.report(ref)).toBe('none');
  });

  test('row changes are paced: a burst at once, then at least minIntervalMs apart; the last carries the final counts; report() is not delayed', async () => {
    let count = 0;
    const sentAt: number[] = [];
    const counts: string[] = [];
    const reporter = new AccountReporter({
      devicesRoot: dir,
      secret: { prefix: 'p', suffix: 's' },
      record: async () => record(count),
      send: async (u) => {
        sentAt.push(Date.now());
        counts.push(u.headers['X-Object-Count']);
        return true;
      },
      queue: () => Promise.reject(new Error('not expected')),
      minIntervalMs: 100,
      burst: 3,
    });
    const start = Date.now();
    while (Date.now() - start < 350) {
      count++;
      reporter.changed(ref);
      await new Promise((r) => setTimeout(r, 5));
    }
    const final = String(count);
    await until(() => counts[counts.length - 1] === final);
    // ~70 changes in 350 ms: the burst of 3 at once (each change while none is in flight), then
    // at most one per 100 ms.
    expect(sentAt.length).toBeGreaterThanOrEqual(5);
    expect(sentAt.length).toBeLessThanOrEqual(9);
    expect(sentAt[2] - sentAt[0]).toBeLessThan(90);
    // After the burst, one per 100 ms on average (a timer that fired late leaves its successor
    // less to wait: the bucket limits the rate, not each gap).
    const paced = sentAt.length - 4;
    expect(sentAt[sentAt.length - 1] - sentAt[3]).toBeGreaterThanOrEqual(paced * 100 - 30);
    // An explicit report (container PUT/DELETE) goes out at once, whatever the pace.
    count++;
    const t = Date.now();
    expect(await reporter.report(ref)).toBe('sent');
    expect(Date.now() - t).toBeLessThan(90);
    expect(counts[counts.length - 1]).toBe(String(count));
    // close() (server stop) sends the paced report at once, so the account hears of every change
    // made before the stop; changes after it send nothing (no timer left behind).
    const n = sentAt.length;
    count++;
    reporter.changed(ref);
    expect(sentAt).toHaveLength(n);
    const closing = Date.now();
    await reporter.close();
    expect(Date.now() - closing).toBeLessThan(90);
    expect(sentAt).toHaveLength(n + 1);
    expect(counts[counts.length - 1]).toBe(String(count));
    reporter.changed(ref);
    await new Promise((r) => setTimeout(r, 150));
    expect(sentAt).toHaveLength(n + 1);
  });
});
