/**
 * Calling one request on the replicas of a name: in parallel on every primary (writes, and
 * reads that want every replica's view), or one replica after another until one answers well
 * (reads). Handoffs stand in for primaries that cannot answer, as in Swift.
 */
import { Timestamp } from '../../common/timestamp';
import type { RingDevice } from '../../ring';
import { BackendError } from './backend-error';
import type { NodePlan } from './rings';
import { asBackendError, type BackendReply, type BackendRequest, type BackendResponse, type StorageClient } from './storage-client';

/** One replica's outcome: an answer, or why there was none. */
export type NodeOutcome = { node: RingDevice; reply: BackendReply; error?: undefined } | { node: RingDevice; reply?: undefined; error: BackendError };

/** The status of an outcome (0 = no answer), for quorumStatus(). */
export function outcomeStatus(o: NodeOutcome): number {
  return o.reply ? o.reply.status : 0;
}

/** 507 (device unavailable) means "this replica cannot be here": try a handoff, as for no answer. */
export function needsHandoff(o: NodeOutcome): boolean {
  return o.error !== undefined || o.reply.status === 507;
}

/** Swift's request_node_count: how many devices a request may try in all (primaries included). */
export function maxNodesTried(plan: NodePlan): number {
  return plan.primaries.length * 2;
}

/**
 * One attempt per primary slot, all slots at once: `attempt` on the primary, and while
 * `moveOn` says its result means "this replica cannot be here", on the next handoff (each
 * handoff used once, shared by the slots), at most `maxTries` nodes per slot. One promise per
 * slot, in replica order, each with the slot's last result (callers that answer at a quorum
 * need them one by one).
 */
export function replicaSlots<T>(plan: NodePlan, attempt: (node: RingDevice, replicaIndex: number) => Promise<T>, moveOn: (result: T) => boolean, maxTries = Infinity): Promise<T>[] {
  const handoffs = plan.handoffs();
  const nextHandoff = (): RingDevice | undefined => {
    const n = handoffs.next();
    return n.done ? undefined : n.value;
  };
  return plan.primaries.map(async (primary, i) => {
    let result = await attempt(primary, i);
    for (let tries = 1, node = moveOn(result) ? nextHandoff() : undefined; node && tries < maxTries; tries++, node = moveOn(result) ? nextHandoff() : undefined) {
      result = await attempt(node, i);
    }
    return result;
  });
}

/**
 * The request on every primary at once. A primary that does not answer or answers 507 is
 * replaced by the next handoff (each handoff used once) until the handoffs run out; the result
 * has one outcome per primary slot, in replica order (the last one tried in that slot).
 */
export function callEachReplica(client: StorageClient, plan: NodePlan, build: (node: RingDevice, replicaIndex: number) => BackendRequest): Promise<NodeOutcome[]> {
  return Promise.all(replicaSlots(plan, (node, i) => callOne(client, build(node, i), node), needsHandoff, maxNodesTried(plan)));
}

async function callOne(client: StorageClient, req: BackendRequest, node: RingDevice): Promise<NodeOutcome> {
  try {
    return { node, reply: await client.fetch(req) };
  } catch (err) {
    return { node, error: asBackendError(err) };
  }
}

/** Nodes to read from: primaries first, then handoffs, at most maxNodesTried in all. */
export function* readOrder(plan: NodePlan): Generator<RingDevice, void, undefined> {
  let n = 0;
  const limit = maxNodesTried(plan);
  for (const p of plan.primaries) {
    if (n++ >= limit) return;
    yield p;
  }
  const handoffs = plan.handoffs();
  for (let h = handoffs.next(); !h.done; h = handoffs.next()) {
    if (n++ >= limit) return;
    yield h.value;
  }
}

export interface FirstAnswer {
  /** The accepted response (body still streaming), when a replica gave one. */
  response?: BackendResponse;
  /** Every replica tried before it (or all, when none was accepted), with small bodies read. */
  others: NodeOutcome[];
}

/**
 * Tries replicas in readOrder until `accept(status)` holds for an answer; the accepted answer's
 * body is left streaming for the caller. Refused answers are read (small) and kept in `others`
 * so the caller can decide what to say (e.g. 404 vs 503).
 */
export async function firstAcceptable(client: StorageClient, plan: NodePlan, build: (node: RingDevice) => BackendRequest, accept: (status: number) => boolean): Promise<FirstAnswer> {
  const others: NodeOutcome[] = [];
  for (const node of readOrder(plan)) {
    let res: BackendResponse;
    try {
      res = await client.send(build(node));
    } catch (err) {
      others.push({ node, error: asBackendError(err) });
      continue;
    }
    if (accept(res.status)) return { response: res, others };
    try {
      const body = await readSmall(res);
      others.push({ node, reply: { node, status: res.status, headers: res.headers, body } });
    } catch (err) {
      others.push({ node, error: asBackendError(err) });
    }
  }
  return { others };
}

async function readSmall(res: BackendResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += (c as Buffer).length;
    if (size > 1 << 20) {
      res.abort();
      throw new BackendError('BODY_TOO_LARGE', 'error body too large');
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A replica answer's X-Backend-Timestamp (else X-Timestamp), for ordering versions. */
function answerTimestamp(res: BackendResponse): Timestamp | undefined {
  const raw = res.headers['x-backend-timestamp'] ?? res.headers['x-timestamp'];
  return Timestamp.tryParse(Array.isArray(raw) ? raw[0] : raw);
}

/**
 * Swift's X-Newest: asks every primary at once and keeps the newest version's answer (by
 * timestamp; a newer tombstone's 404 beats an older object), aborting the others. For clients
 * that must not read a stale replica (e.g. right after a failed server came back).
 */
export async function newestAcceptable(client: StorageClient, plan: NodePlan, build: (node: RingDevice) => BackendRequest, accept: (status: number) => boolean): Promise<FirstAnswer> {
  const answers = await Promise.all(
    plan.primaries.map(async (node): Promise<{ node: RingDevice; res?: BackendResponse; error?: BackendError }> => {
      try {
        return { node, res: await client.send(build(node)) };
      } catch (err) {
        return { node, error: asBackendError(err) };
      }
    }),
  );
  let best: BackendResponse | undefined;
  let bestTs: Timestamp | undefined;
  let newestTombstone: Timestamp | undefined;
  for (const a of answers) {
    if (!a.res) continue;
    const ts = answerTimestamp(a.res);
    if (a.res.status === 404 && ts && (!newestTombstone || ts.isNewerThan(newestTombstone))) newestTombstone = ts;
    if (!accept(a.res.status)) continue;
    if (!best || (ts && (!bestTs || ts.isNewerThan(bestTs)))) {
      best = a.res;
      bestTs = ts;
    }
  }
  if (best && newestTombstone && bestTs && newestTombstone.isNewerThan(bestTs)) best = undefined;
  const others: NodeOutcome[] = [];
  for (const a of answers) {
    if (a.res && a.res === best) continue;
    if (a.res) {
      a.res.abort();
      others.push({ node: a.node, reply: { node: a.node, status: a.res.status, headers: a.res.headers, body: Buffer.alloc(0) } });
    } else if (a.error) others.push({ node: a.node, error: a.error });
  }
  return best ? { response: best, others } : { others };
}
