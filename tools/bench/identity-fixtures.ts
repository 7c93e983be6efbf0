/**
 * Inputs for the in-process token benchmark: a realistic token payload and a revocation event
 * mix. Pure given their id sources (unit-tested in test/unit/bench/identity-fixtures.test.ts).
 */
import { RevocationKind, type RevocationEvent } from '../../proto/gen/weft/identity/v1/resources';
import type { TokenPayload } from '../../proto/gen/weft/identity/v1/token';

export interface IdSources {
  /** A fresh audit id (16 bytes, unpadded base64url). */
  auditId(): string;
  /** A fresh lowercase UUID. */
  uuid(): string;
}

/**
 * A project-scoped token as identity issues it after a rescope: UUID ids (packed to 16 bytes in
 * the sealed form), three roles, two methods and a one-entry audit chain.
 */
export function benchPayload(ids: IdSources, nowMs: number, ttlMs: number): TokenPayload {
  return {
    version: 0,
    userId: ids.uuid(),
    projectId: ids.uuid(),
    domainId: ids.uuid(),
    roles: ['admin', 'member', 'reader'],
    methods: ['password', 'token'],
    issuedAtMs: nowMs,
    expiresAtMs: nowMs + ttlMs,
    auditId: ids.auditId(),
    auditChain: [ids.auditId()],
    appCredId: '',
  };
}

/** Share of each kind in the mix (audit ids dominate: every RevokeToken and logout adds one). */
export const REVOCATION_MIX: ReadonlyArray<readonly [RevocationKind, number]> = [
  [RevocationKind.REVOCATION_KIND_USER, 0.15],
  [RevocationKind.REVOCATION_KIND_PROJECT, 0.05],
  [RevocationKind.REVOCATION_KIND_USER_PROJECT, 0.05],
  [RevocationKind.REVOCATION_KIND_APPLICATION_CREDENTIAL, 0.05],
  // REVOCATION_KIND_AUDIT_ID takes the rest.
];

/**
 * `count` distinct revocation events in force (expiring `ttlMs` after `nowMs`), mixed per
 * REVOCATION_MIX, none of which revokes `subject`. When a subject is given, two of the events
 * name its user and its user+project with a cut-off before the token was issued, so checking the
 * subject does the map hits and time comparisons a real "password changed yesterday" user costs.
 */
export function revocationMix(count: number, nowMs: number, ttlMs: number, ids: IdSources, subject?: TokenPayload): RevocationEvent[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const blank = (kind: RevocationKind): RevocationEvent => ({ kind, auditId: '', userId: '', projectId: '', appCredId: '', issuedBeforeMs: nowMs, expiresAtMs: nowMs + ttlMs });
  const out: RevocationEvent[] = [];
  if (subject && count >= 2) {
    const cutoff = subject.issuedAtMs - 60_000;
    out.push({ ...blank(RevocationKind.REVOCATION_KIND_USER), userId: subject.userId, issuedBeforeMs: cutoff });
    out.push({ ...blank(RevocationKind.REVOCATION_KIND_USER_PROJECT), userId: subject.userId, projectId: subject.projectId, issuedBeforeMs: cutoff });
  }
  const remaining = count - out.length;
  for (const [kind, share] of REVOCATION_MIX) {
    const n = Math.floor(remaining * share);
    for (let i = 0; i < n; i++) {
      const e = blank(kind);
      if (kind === RevocationKind.REVOCATION_KIND_USER) e.userId = ids.uuid();
      else if (kind === RevocationKind.REVOCATION_KIND_PROJECT) e.projectId = ids.uuid();
      else if (kind === RevocationKind.REVOCATION_KIND_USER_PROJECT) {
        e.userId = ids.uuid();
        e.projectId = ids.uuid();
      } else e.appCredId = ids.uuid();
      out.push(e);
    }
  }
  while (out.length < count) out.push({ ...blank(RevocationKind.REVOCATION_KIND_AUDIT_ID), auditId: ids.auditId(), issuedBeforeMs: 0 });
  return out;
}
