/**
 * The quota middleware (Swift's container_quotas + account_quotas): validates quota metadata on
 * container/account writes and refuses object uploads that would go over a quota with 413
 * before anything is written. Decisions are in quota-rules.ts; this file gathers the usage
 * (container/account info, cached per proxy as in Swift, so concurrent uploads may overshoot
 * by what lands within the cache TTL) and enforces the limit on bodies of unknown length.
 */
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import type { ProxyContext } from '../app/context';
import { textResponse } from '../app/responses';
import type { ContainerAcl, Handler, Middleware, ProxyRequest, ProxyResponse } from '../app/types';
import { getAccountInfo, getContainerInfo, invalidateAccountInfo, invalidateContainerInfo } from '../controllers/container-info';
import { checkAccountQuotaHeaders, checkContainerQuotaHeaders, uploadAllowance, UPLOAD_EXCEEDS_QUOTA, type QuotaRefusal } from './quota-rules';

export interface QuotaContainerInfo {
  exists: boolean;
  objectCount: number;
  bytesUsed: number;
  acl: ContainerAcl;
  quota: { bytes?: number; count?: number };
}

export interface QuotaAccountInfo {
  exists: boolean;
  bytesUsed: number;
  quota: { bytes?: number };
}

export interface QuotaDeps {
  containerInfo(req: ProxyRequest & { container: string }): Promise<QuotaContainerInfo>;
  accountInfo(req: ProxyRequest): Promise<QuotaAccountInfo>;
  /** Forget cached usage after an upload under a quota, so the next check sees it. */
  forget(req: ProxyRequest): void;
}

/** Raised inside the upload stream when a body of unknown length goes over the quota. */
class QuotaExceeded extends Error {
  constructor() {
    super(UPLOAD_EXCEEDS_QUOTA);
    this.name = 'QuotaExceeded';
  }
}

function refusal(r: QuotaRefusal): ProxyResponse {
  return textResponse(r.status, r.message);
}

/** Reseller admins may set account quotas; with auth disabled (no authorize) everyone is one. */
function resellerAdmin(req: ProxyRequest): boolean {
  return !req.authorize || !!req.caller?.isResellerAdmin;
}

function contentLength(req: ProxyRequest): number | undefined {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

/** Counts the body as it streams and fails it once it passes `limit` bytes. */
function limitBody(req: ProxyRequest, limit: number): { req: ProxyRequest; exceeded: () => boolean } {
  let seen = 0;
  let over = false;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) {
        over = true;
        cb(new QuotaExceeded());
        return;
      }
      cb(null, chunk);
    },
  });
  if (req.body) pipeline(req.body, counter, () => undefined);
  else counter.end();
  return { req: { ...req, body: counter }, exceeded: () => over };
}

type UploadCheck = { kind: 'refused'; response: ProxyResponse } | { kind: 'unlimited' } | { kind: 'limited'; remainingBytes: number };

/** Whether an upload of `length` bytes (undefined = unknown yet) may go into req's container. */
async function checkUpload(deps: QuotaDeps, req: ProxyRequest & { container: string }, length: number | undefined): Promise<UploadCheck> {
  // Unknown usage (no container, or its servers unreachable): the object controller answers
  // (401/403/404/503); there is nothing to count against.
  const container = await deps.containerInfo(req).catch(() => undefined);
  if (!container?.exists) return { kind: 'unlimited' };
  // Authorize first, so a caller who may not write learns nothing about quotas.
  const denied = req.authorize?.(req, { containerAcl: container.acl });
  if (denied) return { kind: 'refused', response: denied };
  // An account whose servers do not answer has no quota we can see: do not fail the upload for it.
  const account = await deps.accountInfo(req).catch((): QuotaAccountInfo => ({ exists: false, bytesUsed: 0, quota: {} }));
  const limited = container.quota.bytes !== undefined || container.quota.count !== undefined || account.quota.bytes !== undefined;
  if (!limited) return { kind: 'unlimited' };
  const allowance = uploadAllowance({ container, account }, length);
  if (!allowance.ok) return { kind: 'refused', response: refusal(allowance.refusal) };
  return { kind: 'limited', remainingBytes: allowance.remainingBytes };
}

export function createQuotaMiddlewareWith(deps: QuotaDeps): Middleware {
  return (next: Handler): Handler =>
    async (req: ProxyRequest): Promise<ProxyResponse> => {
      const isWrite = req.method === 'PUT' || req.method === 'POST';
      if (isWrite && req.container === undefined) {
        const bad = checkAccountQuotaHeaders(req.headers, resellerAdmin(req));
        return bad ? refusal(bad) : next(req);
      }
      if (isWrite && req.container !== undefined && req.object === undefined) {
        const bad = checkContainerQuotaHeaders(req.headers);
        return bad ? refusal(bad) : next(req);
      }
      if (req.method !== 'PUT' || req.container === undefined || req.object === undefined) return next(req);

      const length = contentLength(req);
      const check = await checkUpload(deps, { ...req, container: req.container }, length);
      if (check.kind === 'refused') return check.response;
      if (check.kind === 'unlimited') return next(req);
      const allowance = check;
      let forwarded = req;
      let exceeded = (): boolean => false;
      if (length === undefined && Number.isFinite(allowance.remainingBytes)) ({ req: forwarded, exceeded } = limitBody(req, allowance.remainingBytes));
      const res = await next(forwarded);
      if (exceeded()) {
        // The controller saw the body fail and aborted its uploads; answer with the reason.
        if (res.body && typeof res.body === 'object' && 'destroy' in res.body) res.body.destroy();
        return refusal({ status: 413, message: UPLOAD_EXCEEDS_QUOTA });
      }
      if (res.status >= 200 && res.status < 300) deps.forget(req);
      return res;
    };
}

/** The pipeline's quota middleware, reading usage through the proxy's info cache. */
export function createQuotaMiddleware(ctx: ProxyContext): Middleware {
  return createQuotaMiddlewareWith(quotaDeps(ctx));
}

/** What a server-side copy learns from the quota check. */
export interface CopyQuota {
  /** Set when the copy must not happen (over quota, or not authorized). */
  refusal?: ProxyResponse;
  /** Call after the copy succeeded: forgets the cached usage when a quota counts it. */
  done(): void;
}

/**
 * A server-side copy (COPY, PUT with X-Copy-From) brings bytes the middleware never sees: the
 * copy controller reads the source itself. It asks here, with the source's length, before it
 * writes the destination (`req` names the destination).
 */
export async function checkCopyQuota(ctx: ProxyContext, req: ProxyRequest & { container: string }, length: number): Promise<CopyQuota> {
  const deps = quotaDeps(ctx);
  const check = await checkUpload(deps, req, length);
  if (check.kind === 'refused') return { refusal: check.response, done: () => undefined };
  // Without a quota nothing reads the usage, so there is nothing stale to forget.
  return { done: check.kind === 'limited' ? () => deps.forget(req) : () => undefined };
}

function quotaDeps(ctx: ProxyContext): QuotaDeps {
  return {
    containerInfo: (req) => getContainerInfo(ctx, req.account, req.container, req.transId),
    accountInfo: (req) => getAccountInfo(ctx, req.account, req.transId),
    forget: (req) => {
      if (req.container !== undefined) invalidateContainerInfo(ctx, req.account, req.container);
      invalidateAccountInfo(ctx, req.account);
    },
  };
}
