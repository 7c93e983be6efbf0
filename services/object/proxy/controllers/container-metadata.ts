/**
 * Container and account metadata between the client and the storage servers (pure):
 *
 * - requestMetadata(): which request headers go to the replicas on PUT/POST: user metadata
 *   (`X-<Kind>-Meta-*`), Swift's `X-Remove-<Kind>-Meta-*` (sent as an empty value, which
 *   removes the item), the container ACLs (`X-Container-Read/-Write`, and their X-Remove-
 *   forms), quota metadata (it is user metadata: X-Container-Meta-Quota-Bytes...). System
 *   metadata (`X-<Kind>-Sysmeta-*`) only when a middleware sent the request, never from a
 *   client, so users cannot forge it. Limits: Swift's metadata limits, counted without the prefix.
 * - responseHeaders(): what a client sees of a replica's answer: counts, X-Timestamp, metadata,
 *   ACLs only for the account's owners (as Swift's swift_owner), never X-Backend-* or sysmeta.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { metadataProblem } from '../../common/metadata-limits';
import { USER_META_PREFIX, titleCaseHeader } from '../../common/object-headers';
import { Timestamp } from '../../common/timestamp';
import { formatHttpDate } from '../../common/http-date';

export type MetadataKind = 'container' | 'account';

const ACL_HEADERS = ['x-container-read', 'x-container-write'];

/** The only storage policy (services/object/proxy/info.ts lists it as the default). */
export const STORAGE_POLICY = 'Policy-0';

export type MetadataResult = { ok: true; headers: Record<string, string> } | { ok: false; message: string };

/**
 * The metadata headers of a client request (lower-case names) to forward on PUT/POST, or the
 * first limit it breaks (a 400 for the caller).
 */
export function requestMetadata(kind: MetadataKind, headers: Record<string, string>, opts: { allowSysmeta: boolean }): MetadataResult {
  const meta = `x-${kind}-meta-`;
  const removeMeta = `x-remove-${kind}-meta-`;
  const sysmeta = `x-${kind}-sysmeta-`;
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const value = raw.trim();
    if (name.startsWith(meta)) out[name] = value;
    else if (name.startsWith(removeMeta)) out[meta + name.slice(removeMeta.length)] ??= '';
    else if (kind === 'container' && ACL_HEADERS.includes(name)) out[name] = value;
    else if (kind === 'container' && name.startsWith('x-remove-') && ACL_HEADERS.includes(`x-${name.slice('x-remove-'.length)}`)) out[`x-${name.slice('x-remove-'.length)}`] ??= '';
    else if (opts.allowSysmeta && name.startsWith(sysmeta)) out[name] = value;
  }
  // An X-Remove- beside a value for the same item: the value wins, as in Swift.
  const user: Record<string, string> = {};
  for (const [name, value] of Object.entries(out)) {
    if (name.startsWith(meta)) user[USER_META_PREFIX + name.slice(meta.length)] = value;
  }
  const problem = metadataProblem(user);
  if (problem) return { ok: false, message: problem.replace(/^metadata/, `${kind} metadata`) };
  return { ok: true, headers: out };
}

/** Headers never passed on to clients (internal, or set by the HTTP face itself). */
function hidden(name: string, kind: MetadataKind, showAcl: boolean): boolean {
  if (name.startsWith('x-backend-') || name.startsWith(`x-${kind}-sysmeta-`)) return true;
  if (!showAcl && ACL_HEADERS.includes(name)) return true;
  return ['x-trans-id', 'x-openstack-request-id', 'content-length', 'content-type', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'x-account-status'].includes(name);
}

/**
 * The headers a client gets from a replica's HEAD/GET answer of a container or account:
 * counts, X-Timestamp, Last-Modified, metadata in Swift's capitalization.
 */
export function responseHeaders(kind: MetadataKind, backend: IncomingHttpHeaders, opts: { showAcl: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(backend)) {
    if (raw === undefined || hidden(name, kind, opts.showAcl)) continue;
    out[titleCaseHeader(name)] = Array.isArray(raw) ? raw.join(', ') : raw;
  }
  const put = Timestamp.tryParse(first(backend['x-backend-put-timestamp']) ?? first(backend['x-put-timestamp']) ?? first(backend['x-timestamp']));
  if (put) out['Last-Modified'] = formatHttpDate(put.lastModifiedSeconds);
  out['Accept-Ranges'] = 'bytes';
  // One policy, as /info lists it; clients (swift list --long) show it per container.
  if (kind === 'container') out['X-Storage-Policy'] = STORAGE_POLICY;
  return out;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
