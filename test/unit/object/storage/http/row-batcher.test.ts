/**
 * The row batcher with fake senders: an idle replica gets the updates of one event-loop turn
 * together (a lone one alone); updates that arrive while an exchange is in flight leave together
 * (in order, capped), each caller gets its own row's status,
 * replicas do not wait for each other, and a sender that fails answers 0 to every caller.
 */
import type { PendingUpdate } from '../../../../../services/object/storage/http/container-update';
import { RowBatcher, rowOf } from '../../../../../services/object/storage/http/row-batcher';
import type { RowUpdate } from '../../../../../services/object/storage/container/row-update';

const update = (object: string, container = 'c', port = 6001): PendingUpdate => ({
  method: 'PUT',
  path: `/AUTH_a/${container}/${object}`,
  headers: { 'X-Timestamp': '1700000000.00000', 'X-Size': '1', 'X-Etag': 'e', 'X-Content-Type': 't' },
  target: { host: '127.0.0.1', port, device: 'sdb', partition: '7' },
});

interface Pending<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

/** Senders whose answers the test gives by hand, recording what was sent. */
function fakes() {
  const ones: { u: PendingUpdate; p: Pending<number> }[] = [];
  const batches: { first: PendingUpdate; rows: RowUpdate[]; p: Pending<number[]> }[] = [];
  const sendOne = (u: PendingUpdate): Promise<number> => new Promise((resolve, reject) => ones.push({ u, p: { resolve, reject } }));
  const sendBatch = (first: PendingUpdate, rows: RowUpdate[]): Promise<number[]> => new Promise((resolve, reject) => batches.push({ first, rows, p: { resolve, reject } }));
  return { ones, batches, sendOne, sendBatch };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('an idle replica gets a lone update at the end of the turn, alone', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch);
  const got = b.send(update('o1'));
  expect(f.ones).toEqual([]);
  await tick();
  expect(f.ones.map((x) => x.u.path)).toEqual(['/AUTH_a/c/o1']);
  f.ones[0]!.p.resolve(201);
  expect(await got).toBe(201);
  expect(f.batches).toEqual([]);
  expect(b.counters).toEqual({ updates: 1, exchanges: 1 });
});

test('updates made in one turn leave together as one exchange (the rows of an object batch)', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch);
  const all = ['o1', 'o2', 'o3'].map((o) => b.send(update(o)));
  void b.send(update('x', 'other'));
  await tick();
  expect(f.ones.map((x) => x.u.path)).toEqual(['/AUTH_a/other/x']);
  expect(f.batches.map((x) => x.rows.map((r) => r.object))).toEqual([['o1', 'o2', 'o3']]);
  f.batches[0]!.p.resolve([201, 202, 201]);
  expect(await Promise.all(all)).toEqual([201, 202, 201]);
  expect(b.counters).toEqual({ updates: 4, exchanges: 2 });
});

test('updates that arrive while one is in flight leave together, in order, each with its own status', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch);
  const first = b.send(update('o1'));
  await tick();
  const rest = ['o2', 'o/3', 'o4'].map((o) => b.send(update(o)));
  expect(f.batches).toEqual([]);
  f.ones[0]!.p.resolve(201);
  await tick();
  expect(f.batches).toHaveLength(1);
  expect(f.batches[0]!.rows.map((r) => r.object)).toEqual(['o2', 'o/3', 'o4']);
  expect(f.batches[0]!.rows[0]).toEqual(rowOf(update('o2')));
  f.batches[0]!.p.resolve([201, 202, 404]);
  expect(await first).toBe(201);
  expect(await Promise.all(rest)).toEqual([201, 202, 404]);
  expect(b.counters).toEqual({ updates: 4, exchanges: 2 });
  // Idle again: the next update goes alone.
  void b.send(update('o5'));
  await tick();
  expect(f.ones).toHaveLength(2);
});

test('batches are capped; the rest follows in the next exchange', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch, 2);
  const first = b.send(update('a'));
  await tick();
  const all = [first, ...['b', 'c', 'd', 'e', 'f'].map((o) => b.send(update(o)))];
  f.ones[0]!.p.resolve(201);
  await tick();
  expect(f.batches.map((x) => x.rows.map((r) => r.object))).toEqual([['b', 'c']]);
  f.batches[0]!.p.resolve([201, 201]);
  await tick();
  expect(f.batches.map((x) => x.rows.map((r) => r.object))).toEqual([['b', 'c'], ['d', 'e']]);
  f.batches[1]!.p.resolve([201, 201]);
  await tick();
  // One left: it goes alone.
  expect(f.ones.map((x) => x.u.path)).toEqual(['/AUTH_a/c/a', '/AUTH_a/c/f']);
  f.ones[1]!.p.resolve(204);
  expect(await Promise.all(all)).toEqual([201, 201, 201, 201, 201, 204]);
});

test('replicas (server, container) do not wait for each other', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch);
  void b.send(update('a'));
  await tick();
  void b.send(update('a', 'other'));
  void b.send(update('a', 'c', 6002));
  await tick();
  expect(f.ones).toHaveLength(3);
});

test('more updates in one turn than a batch holds: the first batch leaves, the rest wait for it', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch, 2);
  const all = ['a', 'b', 'c', 'd', 'e'].map((o) => b.send(update(o)));
  await tick();
  expect(f.batches.map((x) => x.rows.map((r) => r.object))).toEqual([['a', 'b']]);
  f.batches[0]!.p.resolve([201, 201]);
  await tick();
  expect(f.batches.map((x) => x.rows.map((r) => r.object))).toEqual([['a', 'b'], ['c', 'd']]);
  f.batches[1]!.p.resolve([201, 201]);
  await tick();
  f.ones[0]!.p.resolve(201);
  expect(await Promise.all(all)).toEqual([201, 201, 201, 201, 201]);
  expect(f.ones.map((x) => x.u.path)).toEqual(['/AUTH_a/c/e']);
});

test('a short answer gives 0 to the callers it lacks, and the queue moves on', async () => {
  const f = fakes();
  const b = new RowBatcher(f.sendOne, f.sendBatch);
  const first = b.send(update('a'));
  await tick();
  const waiting = [b.send(update('b')), b.send(update('c'))];
  f.ones[0]!.p.resolve(201);
  expect(await first).toBe(201);
  await tick();
  const third = b.send(update('d'));
  f.batches[0]!.p.resolve([201]);
  expect(await Promise.all(waiting)).toEqual([201, 0]);
  await tick();
  f.ones[1]!.p.resolve(201);
  expect(await third).toBe(201);
});

test('no answer at all (a failure, a timeout): the updates waiting behind it fail at once, and the replica is idle again', async () => {
  for (const fail of ['reject', 'zero'] as const) {
    const f = fakes();
    const b = new RowBatcher(f.sendOne, f.sendBatch);
    const first = b.send(update('a'));
    await tick();
    const waiting = [b.send(update('b')), b.send(update('c'))];
    if (fail === 'reject') f.ones[0]!.p.reject(new Error('boom'));
    else f.ones[0]!.p.resolve(0);
    expect(await first).toBe(0);
    expect(await Promise.all(waiting)).toEqual([0, 0]);
    expect(f.batches).toEqual([]);
    void b.send(update('d'));
    await tick();
    expect(f.ones).toHaveLength(2);
  }
});
