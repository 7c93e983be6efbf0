/**
 * The proxy's small-PUT batcher with fake senders whose answers the test gives by hand: a PUT to
 * a quiet device leaves at once and alone (two may be in flight), the ones that arrive meanwhile
 * leave together in order (capped) once an exchange ends, each caller gets its own entry's
 * reply, devices do not wait for each other, and an exchange without an answer fails its
 * entries and everything queued behind it at once, leaving the device usable afterwards.
 */
import type { BatchReply } from '../../../../../services/object/common/object-batch';
import { BackendError } from '../../../../../services/object/proxy/backend/backend-error';
import { PutBatcher, type SmallPut } from '../../../../../services/object/proxy/backend/put-batcher';
import type { NodeAddress } from '../../../../../services/object/proxy/backend/storage-client';

// Pending promises that never settle are failures here: fail in seconds, not in a minute.
jest.setTimeout(5000);

const NODE: NodeAddress = { ip: '127.0.0.1', port: 6001, device: 'sda' };

const small = (object: string, node: NodeAddress = NODE): SmallPut => ({
  node,
  partition: 3,
  account: 'AUTH_a',
  container: 'c',
  object,
  headers: { 'x-timestamp': '1700000000.00000', 'content-type': 'text/plain', 'content-length': String(object.length) },
  body: Buffer.from(object),
  transId: `tx-${object}`,
});

const reply = (status: number, tag = ''): BatchReply => ({ status, headers: tag ? { ETag: `"${tag}"` } : {} });

interface Pending<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

/** Senders that record what was sent and answer when the test says so. */
function fakes() {
  const alone: { put: SmallPut; p: Pending<BatchReply> }[] = [];
  const batches: { node: NodeAddress; puts: SmallPut[]; p: Pending<BatchReply[]> }[] = [];
  const sendAlone = (put: SmallPut): Promise<BatchReply> => new Promise((resolve, reject) => alone.push({ put, p: { resolve, reject } }));
  const sendBatch = (node: NodeAddress, puts: SmallPut[]): Promise<BatchReply[]> => new Promise((resolve, reject) => batches.push({ node, puts: puts.slice(), p: { resolve, reject } }));
  const names = () => ({ alone: alone.map((a) => a.put.object), batches: batches.map((b) => b.puts.map((p) => p.object)) });
  return { alone, batches, sendAlone, sendBatch, names };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Settles to 'pending' when the promise has not settled after a tick. */
async function state<T>(p: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await tick();
  return s;
}

test('a PUT to an idle device leaves at once, alone, and gets its reply', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch);
  const got = b.put(small('o1'));
  expect(f.names()).toEqual({ alone: ['o1'], batches: [] });
  expect(f.alone[0]!.put).toEqual(small('o1'));
  f.alone[0]!.p.resolve(reply(201, 'e1'));
  expect(await got).toEqual(reply(201, 'e1'));
  expect(b.counters).toEqual({ puts: 1, exchanges: 1, batches: 0 });
});

test('the second PUT also leaves at once (two in flight); the third and later wait', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch);
  const p1 = b.put(small('o1'));
  const p2 = b.put(small('o2'));
  expect(f.names()).toEqual({ alone: ['o1', 'o2'], batches: [] });
  const waiting = ['o3', 'o4', 'o5'].map((o) => b.put(small(o)));
  await tick();
  expect(f.names()).toEqual({ alone: ['o1', 'o2'], batches: [] });
  for (const w of waiting) expect(await state(w)).toBe('pending');

  // The second exchange ends first: the waiting ones leave together, in arrival order.
  f.alone[1]!.p.resolve(reply(201, 'e2'));
  expect(await p2).toEqual(reply(201, 'e2'));
  await tick();
  expect(f.names()).toEqual({ alone: ['o1', 'o2'], batches: [['o3', 'o4', 'o5']] });
  expect(f.batches[0]!.node).toEqual(NODE);
  expect(f.batches[0]!.puts).toEqual(['o3', 'o4', 'o5'].map((o) => small(o)));

  // Each caller gets its own entry's reply.
  f.batches[0]!.p.resolve([reply(201, 'e3'), reply(409), reply(422)]);
  expect(await Promise.all(waiting)).toEqual([reply(201, 'e3'), reply(409), reply(422)]);
  expect(await state(p1)).toBe('pending');
  f.alone[0]!.p.resolve(reply(503));
  expect(await p1).toEqual(reply(503));
  expect(b.counters).toEqual({ puts: 5, exchanges: 3, batches: 1 });

  // Idle again: the next PUT goes alone.
  void b.put(small('o6'));
  expect(f.names().alone).toEqual(['o1', 'o2', 'o6']);
});

test('with maxInFlight 1 the second PUT already waits', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch, 32, 1);
  const p1 = b.put(small('a'));
  const rest = [b.put(small('b')), b.put(small('c'))];
  expect(f.names()).toEqual({ alone: ['a'], batches: [] });
  f.alone[0]!.p.resolve(reply(201));
  await p1;
  await tick();
  expect(f.names()).toEqual({ alone: ['a'], batches: [['b', 'c']] });
  f.batches[0]!.p.resolve([reply(201, 'b'), reply(201, 'c')]);
  expect(await Promise.all(rest)).toEqual([reply(201, 'b'), reply(201, 'c')]);
});

test('a single waiting PUT leaves alone, not as a batch of one', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch);
  const first = [b.put(small('a')), b.put(small('b'))];
  const third = b.put(small('c'));
  f.alone[0]!.p.resolve(reply(201));
  await tick();
  expect(f.names()).toEqual({ alone: ['a', 'b', 'c'], batches: [] });
  f.alone[1]!.p.resolve(reply(201));
  f.alone[2]!.p.resolve(reply(202));
  expect(await third).toEqual(reply(202));
  await Promise.all(first);
  expect(b.counters).toEqual({ puts: 3, exchanges: 3, batches: 0 });
});

test('maxBatch caps a batch; the rest follows, in order, as exchanges end', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch, 3, 1);
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const all = names.map((n) => b.put(small(n)));
  f.alone[0]!.p.resolve(reply(201, 'a'));
  await tick();
  expect(f.names()).toEqual({ alone: ['a'], batches: [['b', 'c', 'd']] });
  f.batches[0]!.p.resolve(['b', 'c', 'd'].map((n) => reply(201, n)));
  await tick();
  expect(f.names()).toEqual({ alone: ['a'], batches: [['b', 'c', 'd'], ['e', 'f', 'g']] });
  f.batches[1]!.p.resolve(['e', 'f', 'g'].map((n) => reply(201, n)));
  await tick();
  // One left: alone.
  expect(f.names()).toEqual({ alone: ['a', 'h'], batches: [['b', 'c', 'd'], ['e', 'f', 'g']] });
  f.alone[1]!.p.resolve(reply(201, 'h'));
  expect(await Promise.all(all)).toEqual(names.map((n) => reply(201, n)));
  expect(b.counters).toEqual({ puts: 8, exchanges: 4, batches: 2 });
});

test('with two exchanges in flight, both slots take a capped batch as they free up', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch, 2, 2);
  const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => b.put(small(n)));
  expect(f.names()).toEqual({ alone: ['a', 'b'], batches: [] });
  f.alone[0]!.p.resolve(reply(201));
  f.alone[1]!.p.resolve(reply(201));
  await tick();
  expect(f.names()).toEqual({ alone: ['a', 'b'], batches: [['c', 'd'], ['e', 'f']] });
  f.batches[1]!.p.resolve([reply(201, 'e'), reply(201, 'f')]);
  await tick();
  expect(f.names().alone).toEqual(['a', 'b', 'g']);
  f.batches[0]!.p.resolve([reply(201, 'c'), reply(201, 'd')]);
  f.alone[2]!.p.resolve(reply(201, 'g'));
  expect((await Promise.all(all)).slice(2)).toEqual(['c', 'd', 'e', 'f', 'g'].map((n) => reply(201, n)));
});

test('devices are independent: by ip, port and device name', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch, 32, 1);
  const other = [
    { ip: '127.0.0.2', port: 6001, device: 'sda' },
    { ip: '127.0.0.1', port: 6002, device: 'sda' },
    { ip: '127.0.0.1', port: 6001, device: 'sdb' },
  ];
  const busy = b.put(small('busy'));
  const queued = b.put(small('queued'));
  // NODE is busy, yet each other device gets its PUT at once.
  const others = other.map((node, i) => b.put(small(`x${i}`, node)));
  expect(f.names()).toEqual({ alone: ['busy', 'x0', 'x1', 'x2'], batches: [] });
  expect(f.alone.slice(1).map((a) => a.put.node)).toEqual(other);
  f.alone.slice(1).forEach((a, i) => a.p.resolve(reply(201, `x${i}`)));
  expect(await Promise.all(others)).toEqual(other.map((_, i) => reply(201, `x${i}`)));
  // …and their answers release nothing on NODE.
  await tick();
  expect(await state(queued)).toBe('pending');
  f.alone[0]!.p.resolve(reply(201));
  await busy;
  await tick();
  expect(f.names().alone).toEqual(['busy', 'x0', 'x1', 'x2', 'queued']);
  f.alone[4]!.p.resolve(reply(201, 'q'));
  expect(await queued).toEqual(reply(201, 'q'));
});

test('a failed exchange rejects its entries and every waiting PUT at once, with one error; the device works again after', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch, 2, 1);
  const first = b.put(small('a'));
  const queued = ['b', 'c', 'd', 'e', 'f'].map((n) => b.put(small(n)));
  f.alone[0]!.p.resolve(reply(201));
  await first;
  await tick();
  expect(f.names()).toEqual({ alone: ['a'], batches: [['b', 'c']] });
  const failure = new BackendError('NODE_TIMEOUT', 'no answer in 5000 ms');
  f.batches[0]!.p.reject(failure);
  const outcomes = await Promise.allSettled(queued);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
  for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBe(failure);
  // Nothing was sent for the ones that were waiting.
  await tick();
  expect(f.names()).toEqual({ alone: ['a'], batches: [['b', 'c']] });

  // The device is usable again: a new PUT leaves at once, alone, and batching resumes.
  const again = b.put(small('g'));
  const behind = [b.put(small('h')), b.put(small('i'))];
  expect(f.names().alone).toEqual(['a', 'g']);
  f.alone[1]!.p.resolve(reply(201, 'g'));
  expect(await again).toEqual(reply(201, 'g'));
  await tick();
  expect(f.names().batches).toEqual([['b', 'c'], ['h', 'i']]);
  f.batches[1]!.p.resolve([reply(201, 'h'), reply(201, 'i')]);
  expect(await Promise.all(behind)).toEqual([reply(201, 'h'), reply(201, 'i')]);
  expect(b.counters).toEqual({ puts: 9, exchanges: 4, batches: 2 });
});

test('a lone PUT that fails rejects the waiting ones too; a plain error becomes a BackendError', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch, 32, 1);
  const first = b.put(small('a'));
  const waiting = [b.put(small('b')), b.put(small('c'))];
  const sock = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6001'), { code: 'ECONNREFUSED' });
  f.alone[0]!.p.reject(sock);
  const all = await Promise.allSettled([first, ...waiting]);
  const reasons = all.map((o) => (o.status === 'rejected' ? (o.reason as unknown) : undefined));
  expect(reasons[0]).toBeInstanceOf(BackendError);
  expect((reasons[0] as BackendError).code).toBe('CONNECT_FAILED');
  expect((reasons[0] as BackendError).message).toContain('ECONNREFUSED');
  expect(reasons[1]).toBe(reasons[0]);
  expect(reasons[2]).toBe(reasons[0]);
  expect(f.names()).toEqual({ alone: ['a'], batches: [] });
});

test('a failure on one of two exchanges leaves the other in flight to answer its own callers', async () => {
  const f = fakes();
  const b = new PutBatcher(f.sendAlone, f.sendBatch);
  const p1 = b.put(small('a'));
  const p2 = b.put(small('b'));
  const waiting = b.put(small('c'));
  f.alone[0]!.p.reject(new BackendError('CONNECT_FAILED', 'reset'));
  await expect(p1).rejects.toThrow('reset');
  await expect(waiting).rejects.toThrow('reset');
  expect(await state(p2)).toBe('pending');
  f.alone[1]!.p.resolve(reply(201, 'b'));
  expect(await p2).toEqual(reply(201, 'b'));
  // Nothing was left queued to send.
  await tick();
  expect(f.names()).toEqual({ alone: ['a', 'b'], batches: [] });
  // And two may be in flight again.
  void b.put(small('d'));
  void b.put(small('e'));
  expect(f.names().alone).toEqual(['a', 'b', 'd', 'e']);
});
