/**
 * Server-side copy (Swift's copy middleware): `PUT` with `X-Copy-From: <container>/<object>`
 * (and optionally `X-Copy-From-Account`), or `COPY` with `Destination: <container>/<object>`
 * (and optionally `Destination-Account`). The source is read through the object GET path (so
 * the caller must be allowed to read it, and its bytes are MD5-checked) and streamed into an
 * ordinary PUT of the destination (so the caller must be allowed to write there, and every PUT
 * rule holds); nothing is buffered.
 *
 * The copy keeps the source's metadata and content type unless `X-Fresh-Metadata: true`; the
 * request's own metadata headers are laid over them.
 */
import { Readable } from 'node:stream';
import { decodePathPart } from '../../common/names';
import { USER_META_PREFIX, ALLOWED_HEADERS } from '../../common/object-headers';
import type { ProxyContext } from '../app/context';
import { plainResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { getObject } from './object-get';
import type { ObjectNames } from './object-names';
import { putObject } from './object-put';
import { checkCopyQuota, type CopyQuota } from '../middleware/quota';
import { objectPathProblem, type Refusal } from './object-rules';

export interface CopyPlan {
  source: ObjectNames;
  destination: ObjectNames;
}

/** `<container>/<object>` (leading '/' allowed, percent-encoded) → names, or a refusal. */
export function parseCopyTarget(value: string, header: string): { container: string; object: string } | Refusal {
  const decoded = decodePathPart(value.trim());
  const bad: Refusal = { status: 412, message: `${header} header must be of the form <container name>/<object name>` };
  if (decoded === undefined) return bad;
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return bad;
  return { container: path.slice(0, slash), object: path.slice(slash + 1) };
}

function isRefusal(v: { container: string; object: string } | Refusal): v is Refusal {
  return 'status' in v;
}

function accountHeader(req: ProxyRequest, name: string): string | Refusal {
  const raw = req.headers[name];
  if (raw === undefined) return req.account;
  const decoded = decodePathPart(raw.trim());
  if (!decoded || decoded.includes('/')) return { status: 412, message: `${name === 'destination-account' ? 'Destination-Account' : 'X-Copy-From-Account'} header is invalid` };
  return decoded;
}

/** What a PUT with X-Copy-From or a COPY asks for; undefined when the request is not a copy. */
export function planCopy(req: ProxyRequest): CopyPlan | Refusal | undefined {
  if (req.container === undefined || req.object === undefined) return undefined;
  const here: ObjectNames = { account: req.account, container: req.container, object: req.object };
  if (req.method === 'PUT' && req.headers['x-copy-from'] !== undefined) {
    const src = parseCopyTarget(req.headers['x-copy-from'], 'X-Copy-From');
    if (isRefusal(src)) return src;
    const account = accountHeader(req, 'x-copy-from-account');
    if (typeof account !== 'string') return account;
    return { source: { account, ...src }, destination: here };
  }
  if (req.method === 'COPY') {
    const dest = req.headers['destination'];
    if (dest === undefined) return { status: 412, message: 'Destination header required' };
    const d = parseCopyTarget(dest, 'Destination');
    if (isRefusal(d)) return d;
    const account = accountHeader(req, 'destination-account');
    if (typeof account !== 'string') return account;
    return { source: here, destination: { account, ...d } };
  }
  return undefined;
}

/** Headers for the destination PUT: the source's stored headers (unless fresh), then the request's. */
export function copyPutHeaders(sourceHeaders: ProxyResponse['headers'], request: Record<string, string>, length: number): Record<string, string> {
  const out: Record<string, string> = {};
  const fresh = (request['x-fresh-metadata'] ?? '').toLowerCase() === 'true';
  if (!fresh) {
    for (const [name, value] of Object.entries(sourceHeaders)) {
      const lower = name.toLowerCase();
      if (lower.startsWith(USER_META_PREFIX) || (ALLOWED_HEADERS.includes(lower) && lower !== 'x-static-large-object') || lower === 'content-type') out[lower] = String(value);
    }
  }
  for (const [name, value] of Object.entries(request)) {
    if (name.startsWith(USER_META_PREFIX) || ALLOWED_HEADERS.includes(name) || name === 'content-type' || name === 'x-delete-after') out[name] = value;
  }
  out['content-length'] = String(length);
  // The storage servers check the copied bytes against the source's MD5 (422 if they differ).
  const etag = Object.entries(sourceHeaders).find(([k]) => k.toLowerCase() === 'etag')?.[1];
  if (etag !== undefined) out['etag'] = String(etag);
  return out;
}

export async function copyObject(ctx: ProxyContext, req: ProxyRequest, plan: CopyPlan): Promise<ProxyResponse> {
  for (const n of [plan.source, plan.destination]) {
    const problem = objectPathProblem(n.account, n.container, n.object);
    if (problem) return plainResponse(problem.status, problem.message);
  }
  // A copy never takes a body of its own.
  req.body?.resume();
  const source = await getObject(ctx, { ...req, method: 'GET', ...plan.source, headers: {}, body: undefined, query: new URLSearchParams() }, plan.source);
  if (source.status !== 200) return source;
  const body = source.body instanceof Readable ? source.body : Readable.from(source.body === undefined ? [] : [Buffer.from(source.body)]);
  const lengthValue = Object.entries(source.headers).find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  const length = Number(lengthValue);
  if (!Number.isSafeInteger(length)) {
    body.destroy();
    return plainResponse(500, 'copy source without a length');
  }
  const headers = copyPutHeaders(source.headers, req.headers, length);
  const destination: ProxyRequest & { container: string } = { ...req, method: 'PUT', ...plan.destination, headers, body };
  let answer: ProxyResponse;
  let quota: CopyQuota | undefined;
  try {
    quota = await checkCopyQuota(ctx, destination, length);
    answer = quota.refusal ?? (await putObject(ctx, destination, plan.destination));
  } finally {
    if (!body.readableEnded) body.destroy();
  }
  if (answer.status !== 201) return answer;
  quota.done();
  const lastModified = Object.entries(source.headers).find(([k]) => k.toLowerCase() === 'last-modified')?.[1];
  const extra: ProxyResponse['headers'] = {
    'X-Copied-From': `${encodeURIComponent(plan.source.container)}/${encodeURIComponent(plan.source.object).replace(/%2F/g, '/')}`,
    'X-Copied-From-Account': encodeURIComponent(plan.source.account),
  };
  if (lastModified !== undefined) extra['X-Copied-From-Last-Modified'] = String(lastModified);
  return { ...answer, headers: { ...answer.headers, ...extra } };
}
