/**
 * Quota decisions (Swift's container_quotas and account_quotas), pure.
 *
 * - Container quotas are user metadata set by the container's owners:
 *   X-Container-Meta-Quota-Bytes and X-Container-Meta-Quota-Count (whole numbers; empty removes).
 * - The account quota X-Account-Meta-Quota-Bytes may be set or removed only by reseller admins
 *   (the account's owners must not raise their own limit).
 * - An object PUT is refused with 413 when the bytes already used plus its Content-Length would
 *   go over a bytes quota, or one more object would go over a count quota. Reaching a quota
 *   exactly is allowed. Uploads without a Content-Length (chunked) are counted as they stream.
 */

export interface QuotaRefusal {
  status: 400 | 403 | 413;
  message: string;
}

export const UPLOAD_EXCEEDS_QUOTA = 'Upload exceeds quota.';

const WHOLE = /^\d+$/;

/** Validates quota metadata on a container PUT/POST (400 for a value that is not a whole number). */
export function checkContainerQuotaHeaders(headers: Record<string, string>): QuotaRefusal | undefined {
  const bytes = headers['x-container-meta-quota-bytes'];
  if (bytes !== undefined && bytes.trim() !== '' && !WHOLE.test(bytes.trim())) return { status: 400, message: 'Invalid bytes quota.' };
  const count = headers['x-container-meta-quota-count'];
  if (count !== undefined && count.trim() !== '' && !WHOLE.test(count.trim())) return { status: 400, message: 'Invalid count quota.' };
  return undefined;
}

/** Checks an account PUT/POST that touches the account quota. */
export function checkAccountQuotaHeaders(headers: Record<string, string>, isResellerAdmin: boolean): QuotaRefusal | undefined {
  const value = headers['x-account-meta-quota-bytes'];
  const removing = headers['x-remove-account-meta-quota-bytes'] !== undefined;
  if (value === undefined && !removing) return undefined;
  if (!isResellerAdmin) return { status: 403, message: 'Only reseller admins may set or remove the account quota.' };
  if (value !== undefined && value.trim() !== '' && !WHOLE.test(value.trim())) return { status: 400, message: 'Invalid bytes quota.' };
  return undefined;
}

/** What the quota check knows about where the object goes. */
export interface QuotaUsage {
  /** Container: bytes and objects it holds, and its quotas. */
  container?: { bytesUsed: number; objectCount: number; quota: { bytes?: number; count?: number } };
  /** Account: bytes it holds, and its quota. */
  account?: { bytesUsed: number; quota: { bytes?: number } };
}

/**
 * How many more bytes this upload may bring (Infinity = no bytes quota), or a refusal when the
 * upload cannot fit (count quota reached, or a known length that goes over).
 */
export function uploadAllowance(usage: QuotaUsage, contentLength: number | undefined): { ok: true; remainingBytes: number } | { ok: false; refusal: QuotaRefusal } {
  const refuse = { ok: false as const, refusal: { status: 413 as const, message: UPLOAD_EXCEEDS_QUOTA } };
  let remaining = Infinity;
  const c = usage.container;
  if (c) {
    if (c.quota.count !== undefined && c.objectCount + 1 > c.quota.count) return refuse;
    if (c.quota.bytes !== undefined) remaining = Math.min(remaining, c.quota.bytes - c.bytesUsed);
  }
  const a = usage.account;
  if (a && a.quota.bytes !== undefined) remaining = Math.min(remaining, a.quota.bytes - a.bytesUsed);
  if (remaining < 0 || (contentLength !== undefined && contentLength > remaining)) return refuse;
  return { ok: true, remainingBytes: remaining };
}
