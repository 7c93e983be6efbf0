/**
 * Talking to the container and account replicas for the account and container controllers:
 *
 * - writeReplicas(): one change (PUT/POST/DELETE) sent to every primary at once (handoffs stand
 *   in for primaries that cannot answer), all with the same X-Timestamp so the replicas agree
 *   on its order; the answer is the quorum's status (Swift's best_response), 503 without one.
 * - readListing(): a GET (or HEAD) from the first replica that answers 2xx, JSON body parsed.
 * - accountUpdateHeaders(): X-Account-Host/-Device/-Partition for container replica i (the
 *   account replica with the same index), so each container server reports its stats to one
 *   account replica.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ProxyContext } from '../app/context';
import { BackendError } from '../backend/backend-error';
import { callEachReplica, firstAcceptable, outcomeStatus, type NodeOutcome } from '../backend/node-calls';
import { quorumStatus } from '../backend/quorum';
import { readBody } from '../backend/storage-client';

export type MetaLayer = 'container' | 'account';

export interface ReplicaWrite {
  layer: MetaLayer;
  method: 'PUT' | 'POST' | 'DELETE';
  account: string;
  container?: string;
  /** The headers for replica i (X-Timestamp included by the caller). */
  headers: (replicaIndex: number) => Record<string, string>;
  transId: string;
}

export interface ReplicaWriteResult {
  /** The quorum's status; 503 when no class of answers reached a quorum. */
  status: number;
  outcomes: NodeOutcome[];
}

function planFor(ctx: ProxyContext, layer: MetaLayer, account: string, container: string | undefined) {
  return layer === 'container' ? ctx.rings.containerNodes(account, container!) : ctx.rings.accountNodes(account);
}

export async function writeReplicas(ctx: ProxyContext, w: ReplicaWrite): Promise<ReplicaWriteResult> {
  const plan = planFor(ctx, w.layer, w.account, w.container);
  const outcomes = await callEachReplica(ctx.client, plan, (node, i) => ({
    node,
    partition: plan.partition,
    method: w.method,
    account: w.account,
    container: w.container,
    layer: w.layer,
    headers: w.headers(i),
    transId: w.transId,
  }));
  return { status: quorumStatus(outcomes.map(outcomeStatus), plan.replicas), outcomes };
}

/** X-Account-Host/-Device/-Partition for container replica `index` (wrapping when the rings' replica counts differ). */
export function accountUpdateHeaders(ctx: ProxyContext, account: string, index: number): Record<string, string> {
  const plan = ctx.rings.accountNodes(account);
  if (plan.primaries.length === 0) return {};
  const node = plan.primaries[index % plan.primaries.length]!;
  return { 'X-Account-Host': `${node.ip}:${node.port}`, 'X-Account-Device': node.device, 'X-Account-Partition': String(plan.partition) };
}

export type ReplicaRead =
  | { found: true; status: number; headers: IncomingHttpHeaders; body: Buffer }
  /** No replica had it: `headers` of a 404 answer (X-Account-Status may say Deleted). */
  | { found: false; headers: IncomingHttpHeaders };

/**
 * A GET/HEAD from the first replica that answers 2xx (primaries, then handoffs). Throws
 * BackendError when no replica answered 2xx or 404 (nobody could tell).
 */
export async function readReplicas(ctx: ProxyContext, r: { layer: MetaLayer; method: 'GET' | 'HEAD'; account: string; container?: string; query?: URLSearchParams; transId: string }): Promise<ReplicaRead> {
  const plan = planFor(ctx, r.layer, r.account, r.container);
  const found = await firstAcceptable(
    ctx.client,
    plan,
    (node) => ({ node, partition: plan.partition, method: r.method, account: r.account, container: r.container, layer: r.layer, query: r.query, transId: r.transId }),
    (s) => s >= 200 && s < 300,
  );
  if (found.response) {
    const res = found.response;
    const body = await readBody(res);
    return { found: true, status: res.status, headers: res.headers, body };
  }
  const notFound = found.others.filter((o) => o.reply?.status === 404);
  if (notFound.length > 0) {
    const reply = notFound.find((o) => o.reply?.headers['x-account-status'] !== undefined)?.reply ?? notFound[0]!.reply!;
    return { found: false, headers: reply.headers };
  }
  // A 4xx other than 404 (e.g. 400 for a query the storage refuses) is the client's problem; say so.
  const clientError = found.others.find((o) => o.reply && o.reply.status >= 400 && o.reply.status < 500);
  if (clientError?.reply) throw new ReplicaClientError(clientError.reply.status, clientError.reply.body.toString('utf8'));
  throw found.others.find((o) => o.error)?.error ?? new BackendError('CONNECT_FAILED', `no ${r.layer} replica answered`);
}

/** A replica refused the request itself (4xx other than 404): passed on to the client. */
export class ReplicaClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicaClientError';
  }
}

/** The listing JSON a replica sent (an array of objects); throws on anything else. */
export function parseListingBody<T>(body: Buffer): T[] {
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('listing is not a JSON array');
  return parsed as T[];
}
