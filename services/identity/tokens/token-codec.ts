/**
 * Bearer tokens: a TokenPayload, protobuf-encoded and sealed with fernet.ts under the key
 * repository's primary key. Any server with the keys validates a token with local crypto only —
 * no store lookup, no call to identity — which is what lets every API call carry one cheaply.
 * (Revocation is a separate, event-based check layered on top by the identity service.)
 *
 * What validation promises: the token was issued by a holder of one of the keys, is unmodified,
 * carries a payload layout this code knows, has not expired, and was not issued in the future
 * beyond MAX_ISSUED_AT_SKEW_MS (a node with a fast clock must not mint tokens that outlive their
 * stated lifetime elsewhere).
 *
 * Length matters because the token travels on every call: the payload is packed into
 * SealedTokenPayload, where lowercase UUIDs and audit ids are 16 raw bytes rather than text.
 * Packing is exact — anything not in canonical form stays a string — so validateToken returns
 * exactly the TokenPayload that was issued.
 */
import { randomBytes } from 'node:crypto';
import { SealedTokenPayload, TokenPayload } from '../../../proto/gen/weft/identity/v1/token';
import { FERNET_IV_BYTES, type FernetKey, type OpenFailure, decodeBase64urlStrict, open, seal } from './fernet';
import type { RandomBytes } from './key-repository';

/** The payload layout this code writes and reads (TokenPayload.version). */
export const TOKEN_PAYLOAD_VERSION = 1;

/** How far in the future a token's issued_at may be before validation rejects it. */
export const MAX_ISSUED_AT_SKEW_MS = 60_000;

/** Bytes behind an audit id (which is their base64url text, 22 characters). */
export const AUDIT_ID_BYTES = 16;

/** Where "now" comes from; the same shape as the controller's clock so one can be shared. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What issuing needs; a KeyRepository is one. */
export interface IssuingKeys {
  primary(): FernetKey;
}

/** What validating needs; a KeyRepository is one. */
export interface ValidatingKeys {
  /** Primary first: it opens most tokens, so most validations compute one HMAC. */
  keys(): readonly FernetKey[];
}

export interface IssueOptions {
  /** Source of each token's IV; crypto.randomBytes unless a test pins it. */
  random?: RandomBytes;
}

export type ValidateFailureCode =
  /** Authentic and well-formed, but past expires_at_ms. */
  | 'expired'
  /** Not a token from a holder of these keys, altered, truncated, or internally inconsistent. */
  | 'invalid'
  /** A token format or payload version this code does not know (e.g. from a newer release). */
  | 'unsupported';

export type ValidateResult = { ok: true; payload: TokenPayload } | { ok: false; code: ValidateFailureCode; reason: string };

/** Keys held in memory (tests, tools, or keys loaded elsewhere): the first one issues. */
export function staticKeys(primary: FernetKey, ...others: FernetKey[]): IssuingKeys & ValidatingKeys {
  const all: readonly FernetKey[] = [primary, ...others];
  return { primary: () => primary, keys: () => all };
}

/** A fresh audit id: 16 random bytes as base64url without padding. */
export function newAuditId(random: RandomBytes = randomBytes): string {
  const raw = random(AUDIT_ID_BYTES);
  if (raw.length !== AUDIT_ID_BYTES) throw new RangeError(`random source returned ${raw.length} bytes, wanted ${AUDIT_ID_BYTES}`);
  return raw.toString('base64url');
}

/**
 * Seals `payload` into a token with `keys.primary()`. payload.version may be left 0 (it is set to
 * TOKEN_PAYLOAD_VERSION). Throws RangeError for a payload no validator would accept — no user,
 * no methods, a malformed audit id, non-integer times, expiry not after issue or already past,
 * issue time beyond the allowed skew — since issuing one is a bug in the caller.
 */
export function issueToken(payload: TokenPayload, keys: IssuingKeys, clock: Clock, options: IssueOptions = {}): string {
  const nowMs = clock.now().getTime();
  const problem = payloadProblem(payload, nowMs);
  if (problem !== undefined) throw new RangeError(`cannot issue token: ${problem}`);
  const random = options.random ?? randomBytes;
  const plaintext = SealedTokenPayload.encode(pack(payload)).finish();
  return seal(plaintext, keys.primary(), Math.floor(nowMs / 1000), random(FERNET_IV_BYTES));
}

/** Validates a token string from an untrusted caller. Never throws for any string. */
export function validateToken(token: string, keys: ValidatingKeys, clock: Clock): ValidateResult {
  const nowMs = clock.now().getTime();
  // No Fernet TTL: the payload's own expiry (in ms, set per token) is the one that counts.
  const opened = open(token, keys.keys(), { nowSeconds: Math.floor(nowMs / 1000) });
  if (!opened.ok) return openFailure(opened.reason);

  let sealed: SealedTokenPayload;
  try {
    sealed = SealedTokenPayload.decode(opened.plaintext);
  } catch {
    return { ok: false, code: 'invalid', reason: 'token payload does not decode' };
  }
  if (sealed.version !== TOKEN_PAYLOAD_VERSION) {
    return { ok: false, code: 'unsupported', reason: `token payload version ${sealed.version} is not supported` };
  }
  const payload = unpack(sealed);
  if (payload === null) return { ok: false, code: 'invalid', reason: 'token payload is inconsistent' };
  if (nowMs >= payload.expiresAtMs) return { ok: false, code: 'expired', reason: 'token has expired' };
  if (payload.issuedAtMs > nowMs + MAX_ISSUED_AT_SKEW_MS) {
    return { ok: false, code: 'invalid', reason: 'token was issued in the future' };
  }
  if (payload.expiresAtMs <= payload.issuedAtMs) {
    return { ok: false, code: 'invalid', reason: 'token expires before it was issued' };
  }
  return { ok: true, payload };
}

function openFailure(reason: OpenFailure): ValidateResult {
  switch (reason) {
    case 'unsupported-version':
      return { ok: false, code: 'unsupported', reason: 'token format version is not supported' };
    case 'malformed':
      return { ok: false, code: 'invalid', reason: 'token is malformed' };
    case 'bad-signature':
      return { ok: false, code: 'invalid', reason: 'token signature does not match any key' };
    case 'bad-padding':
      return { ok: false, code: 'invalid', reason: 'token plaintext is corrupt' };
    // Only produced when a Fernet TTL is requested, which validateToken does not do.
    case 'expired':
      return { ok: false, code: 'expired', reason: 'token has expired' };
    case 'not-yet-valid':
      return { ok: false, code: 'invalid', reason: 'token was issued in the future' };
  }
}

function payloadProblem(p: TokenPayload, nowMs: number): string | undefined {
  if (p.version !== 0 && p.version !== TOKEN_PAYLOAD_VERSION) return `payload version ${p.version} is not ${TOKEN_PAYLOAD_VERSION}`;
  if (p.userId === '') return 'user_id is empty';
  if (p.methods.length === 0) return 'methods is empty';
  if (!Number.isSafeInteger(p.issuedAtMs) || !Number.isSafeInteger(p.expiresAtMs)) return 'times must be integers';
  if (p.expiresAtMs <= p.issuedAtMs) return 'expires_at_ms is not after issued_at_ms';
  if (p.expiresAtMs <= nowMs) return 'expires_at_ms has passed';
  if (p.issuedAtMs > nowMs + MAX_ISSUED_AT_SKEW_MS) return 'issued_at_ms is in the future';
  if (auditIdBytes(p.auditId) === null) return `audit_id must be ${AUDIT_ID_BYTES} bytes as unpadded base64url`;
  if (p.auditChain.some((a) => auditIdBytes(a) === null)) return `audit_chain entries must be ${AUDIT_ID_BYTES}-byte audit ids`;
  return undefined;
}

const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EMPTY = Buffer.alloc(0);
const UUID_BYTES = 16;

function auditIdBytes(id: string): Buffer | null {
  // Unpadded only, so exactly one text maps to each id and unpacking restores it.
  if (id.includes('=')) return null;
  const raw = decodeBase64urlStrict(id);
  return raw !== null && raw.length === AUDIT_ID_BYTES ? raw : null;
}

/** An identifier as (uuid bytes, text): exactly one is set, or neither for an empty id. */
function packId(id: string): [Buffer, string] {
  return LOWER_UUID.test(id) ? [Buffer.from(id.replace(/-/g, ''), 'hex'), ''] : [EMPTY, id];
}

function unpackId(uuid: Buffer, text: string): string | null {
  if (uuid.length === 0) return text;
  if (uuid.length !== UUID_BYTES || text !== '') return null;
  const h = uuid.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function pack(p: TokenPayload): SealedTokenPayload {
  const [userUuid, userId] = packId(p.userId);
  const [projectUuid, projectId] = packId(p.projectId);
  const [domainUuid, domainId] = packId(p.domainId);
  const [appCredUuid, appCredId] = packId(p.appCredId);
  return {
    version: TOKEN_PAYLOAD_VERSION,
    userUuid,
    userId,
    projectUuid,
    projectId,
    domainUuid,
    domainId,
    roles: p.roles,
    methods: p.methods,
    issuedAtMs: p.issuedAtMs,
    expiresAtMs: p.expiresAtMs,
    // Checked by payloadProblem before packing.
    auditId: auditIdBytes(p.auditId) ?? EMPTY,
    auditChain: p.auditChain.map((a) => auditIdBytes(a) ?? EMPTY),
    appCredUuid,
    appCredId,
  };
}

/** Null when the sealed form could not have come from `pack` (so it is not ours, or corrupt). */
function unpack(s: SealedTokenPayload): TokenPayload | null {
  const userId = unpackId(s.userUuid, s.userId);
  const projectId = unpackId(s.projectUuid, s.projectId);
  const domainId = unpackId(s.domainUuid, s.domainId);
  const appCredId = unpackId(s.appCredUuid, s.appCredId);
  if (userId === null || projectId === null || domainId === null || appCredId === null) return null;
  if (s.auditId.length !== AUDIT_ID_BYTES || s.auditChain.some((a) => a.length !== AUDIT_ID_BYTES)) return null;
  return {
    version: s.version,
    userId,
    projectId,
    domainId,
    roles: s.roles,
    methods: s.methods,
    issuedAtMs: s.issuedAtMs,
    expiresAtMs: s.expiresAtMs,
    auditId: s.auditId.toString('base64url'),
    auditChain: s.auditChain.map((a) => a.toString('base64url')),
    appCredId,
  };
}
