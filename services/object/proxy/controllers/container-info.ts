/**
 * Container and account info: what the proxy needs to know about a container or account before
 * acting on it (existence, ACLs, quotas, counts), read by HEADing its replicas and cached per
 * proxy process for config.containerInfoTtlMs (Swift's get_container_info / get_account_info).
 *
 * - Replicas are asked one after another (primaries, then handoffs): the first 2xx wins, so one
 *   replica that has it beats others that do not (yet). Only 4xx answers mean "does not exist"
 *   (404, or e.g. a 400 for a name a replica refuses; the status is passed on); when no replica
 *   answers at all, or only with 5xx, the BackendError is thrown (the router answers 503), since
 *   we cannot honestly say "not found".
 * - Both answers (exists, and does not exist) are cached: object requests to a busy container
 *   must not HEAD three servers each. This proxy's own container/account writes invalidate
 *   (invalidateContainerInfo / invalidateAccountInfo); other proxies' writes are seen within the
 *   TTL, as in Swift.
 * - Counts in the cache may lag by the TTL; client HEAD/GET of a container or account always go
 *   to the replicas and refresh the cache (rememberContainerInfo / rememberAccountInfo).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ProxyContext } from '../app/context';
import type { ContainerAcl } from '../app/types';
import { BackendError } from '../backend/backend-error';
import { firstAcceptable } from '../backend/node-calls';
import { backendHeader } from '../backend/storage-client';

export interface ContainerInfo {
  exists: boolean;
  objectCount: number;
  bytesUsed: number;
  acl: ContainerAcl;
  /** User metadata: lower-case `x-container-meta-*` header name → value. */
  meta: Record<string, string>;
  /** System metadata: lower-case `x-container-sysmeta-*` header name → value. */
  sysmeta: Record<string, string>;
  /** From X-Container-Meta-Quota-Bytes / -Count, when set to a whole number. */
  quota: { bytes?: number; count?: number };
  /** Creation time (X-Timestamp, normal form), when it exists. */
  timestamp?: string;
}

export interface AccountInfo {
  exists: boolean;
  /** The account was deleted (its replicas answer 404 with X-Account-Status: Deleted). */
  deleted: boolean;
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
  /** User metadata: lower-case `x-account-meta-*` header name → value. */
  meta: Record<string, string>;
  /** System metadata: lower-case `x-account-sysmeta-*` header name → value. */
  sysmeta: Record<string, string>;
  /** From X-Account-Meta-Quota-Bytes, when set to a whole number. */
  quota: { bytes?: number };
  timestamp?: string;
}

const containerKey = (account: string, container: string): string => `c\u0000${account}\u0000${container}`;
const accountKey = (account: string): string => `a\u0000${account}`;

function count(headers: IncomingHttpHeaders, name: string): number {
  const v = backendHeader(headers, name);
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : 0;
}

function quotaValue(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

function withPrefix(headers: IncomingHttpHeaders, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name.startsWith(prefix)) out[name] = backendHeader(headers, name) ?? '';
  }
  return out;
}

/** Container info from a replica's HEAD/GET answer (2xx = exists; anything else = does not). */
export function containerInfoFromHeaders(status: number, headers: IncomingHttpHeaders): ContainerInfo {
  if (status < 200 || status >= 300) return { exists: false, objectCount: 0, bytesUsed: 0, acl: {}, meta: {}, sysmeta: {}, quota: {} };
  const acl: ContainerAcl = {};
  const read = backendHeader(headers, 'x-container-read');
  const write = backendHeader(headers, 'x-container-write');
  if (read !== undefined) acl.read = read;
  if (write !== undefined) acl.write = write;
  const meta = withPrefix(headers, 'x-container-meta-');
  const quota: ContainerInfo['quota'] = {};
  const qb = quotaValue(meta['x-container-meta-quota-bytes']);
  const qc = quotaValue(meta['x-container-meta-quota-count']);
  if (qb !== undefined) quota.bytes = qb;
  if (qc !== undefined) quota.count = qc;
  return {
    exists: true,
    objectCount: count(headers, 'x-container-object-count'),
    bytesUsed: count(headers, 'x-container-bytes-used'),
    acl,
    meta,
    sysmeta: withPrefix(headers, 'x-container-sysmeta-'),
    quota,
    timestamp: backendHeader(headers, 'x-timestamp'),
  };
}

/** Account info from a replica's HEAD/GET answer. */
export function accountInfoFromHeaders(status: number, headers: IncomingHttpHeaders): AccountInfo {
  const deleted = status === 404 && (backendHeader(headers, 'x-account-status') ?? '').toLowerCase() === 'deleted';
  if (status < 200 || status >= 300) return { exists: false, deleted, containerCount: 0, objectCount: 0, bytesUsed: 0, meta: {}, sysmeta: {}, quota: {} };
  const meta = withPrefix(headers, 'x-account-meta-');
  const quota: AccountInfo['quota'] = {};
  const qb = quotaValue(meta['x-account-meta-quota-bytes']);
  if (qb !== undefined) quota.bytes = qb;
  return {
    exists: true,
    deleted: false,
    containerCount: count(headers, 'x-account-container-count'),
    objectCount: count(headers, 'x-account-object-count'),
    bytesUsed: count(headers, 'x-account-bytes-used'),
    meta,
    sysmeta: withPrefix(headers, 'x-account-sysmeta-'),
    quota,
    timestamp: backendHeader(headers, 'x-timestamp'),
  };
}

/** The first 2xx HEAD among the replicas, else a 4xx seen (404 preferred); throws when nobody answered. */
async function headReplicas(ctx: ProxyContext, layer: 'container' | 'account', account: string, container: string | undefined, transId: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const plan = layer === 'container' ? ctx.rings.containerNodes(account, container!) : ctx.rings.accountNodes(account);
  const found = await firstAcceptable(ctx.client, plan, (node) => ({ node, partition: plan.partition, method: 'HEAD', account, container, layer, transId }), (s) => s >= 200 && s < 300);
  if (found.response) {
    found.response.body.resume();
    return { status: found.response.status, headers: found.response.headers };
  }
  // Any 4xx is a definite answer (Swift caches it as the info's status, and callers see "not
  // there"); only 5xx and no answer at all leave us unable to say.
  const definite = found.others.filter((o) => o.reply !== undefined && o.reply.status >= 400 && o.reply.status < 500);
  if (definite.length === 0) {
    const err = found.others.find((o) => o.error)?.error;
    throw err ?? new BackendError('CONNECT_FAILED', `no ${layer} replica answered for ${account}${container !== undefined ? `/${container}` : ''}`);
  }
  // A deleted account's marker matters (410 vs auto-create): prefer an answer that carries it,
  // then a 404 over other 4xx.
  const reply =
    definite.find((o) => o.reply!.headers['x-account-status'] !== undefined)?.reply ?? definite.find((o) => o.reply!.status === 404)?.reply ?? definite[0]!.reply!;
  return { status: reply.status, headers: reply.headers };
}

/** The container's info, from the cache or its replicas. Throws BackendError when no replica answered. */
export async function getContainerInfo(ctx: ProxyContext, account: string, container: string, transId = 'tx-info'): Promise<ContainerInfo> {
  const cached = ctx.infoCache.get(containerKey(account, container)) as ContainerInfo | undefined;
  if (cached) return cached;
  const r = await headReplicas(ctx, 'container', account, container, transId);
  return rememberContainerInfo(ctx, account, container, containerInfoFromHeaders(r.status, r.headers));
}

/** The account's info, from the cache or its replicas. Throws BackendError when no replica answered. */
export async function getAccountInfo(ctx: ProxyContext, account: string, transId = 'tx-info'): Promise<AccountInfo> {
  const cached = ctx.infoCache.get(accountKey(account)) as AccountInfo | undefined;
  if (cached) return cached;
  const r = await headReplicas(ctx, 'account', account, undefined, transId);
  return rememberAccountInfo(ctx, account, accountInfoFromHeaders(r.status, r.headers));
}

/** Stores fresh info (e.g. from a client's HEAD/GET that went to the replicas anyway). */
export function rememberContainerInfo(ctx: ProxyContext, account: string, container: string, info: ContainerInfo): ContainerInfo {
  ctx.infoCache.set(containerKey(account, container), info);
  return info;
}

export function rememberAccountInfo(ctx: ProxyContext, account: string, info: AccountInfo): AccountInfo {
  ctx.infoCache.set(accountKey(account), info);
  return info;
}

/** After this proxy changed the container (PUT, POST, DELETE). */
export function invalidateContainerInfo(ctx: ProxyContext, account: string, container: string): void {
  ctx.infoCache.delete(containerKey(account, container));
}

/** After this proxy changed the account (PUT, POST, DELETE, auto-create, a container created or deleted). */
export function invalidateAccountInfo(ctx: ProxyContext, account: string): void {
  ctx.infoCache.delete(accountKey(account));
}
