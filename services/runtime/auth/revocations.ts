/**
 * The set of revocation events in force, and the one question validators ask of it: is this
 * token revoked? Pure and in memory; fed by the identity service directly (its own store) or by
 * a follower of its revocation feed (other processes). Events past their expiry are dropped,
 * since no token they could match is still valid.
 */
import { RevocationKind, type RevocationEvent } from '../../../proto/gen/weft/identity/v1/resources';
import type { TokenPayload } from '../../../proto/gen/weft/identity/v1/token';

export class RevocationSet {
  private readonly byAuditId = new Map<string, RevocationEvent>();
  /** user → latest issued_before among user-wide events. */
  private readonly byUser = new Map<string, RevocationEvent>();
  private readonly byProject = new Map<string, RevocationEvent>();
  private readonly byUserProject = new Map<string, RevocationEvent>();
  private readonly byAppCred = new Map<string, RevocationEvent>();

  get size(): number {
    return this.byAuditId.size + this.byUser.size + this.byProject.size + this.byUserProject.size + this.byAppCred.size;
  }

  add(e: RevocationEvent): void {
    const keep = (map: Map<string, RevocationEvent>, key: string): void => {
      const cur = map.get(key);
      // The later cutoff subsumes the earlier one; keep the later expiry too.
      if (!cur || cur.issuedBeforeMs < e.issuedBeforeMs || cur.expiresAtMs < e.expiresAtMs) {
        map.set(key, { ...e, issuedBeforeMs: Math.max(e.issuedBeforeMs, cur?.issuedBeforeMs ?? 0), expiresAtMs: Math.max(e.expiresAtMs, cur?.expiresAtMs ?? 0) });
      }
    };
    switch (e.kind) {
      case RevocationKind.REVOCATION_KIND_AUDIT_ID:
        keep(this.byAuditId, e.auditId);
        break;
      case RevocationKind.REVOCATION_KIND_USER:
        keep(this.byUser, e.userId);
        break;
      case RevocationKind.REVOCATION_KIND_PROJECT:
        keep(this.byProject, e.projectId);
        break;
      case RevocationKind.REVOCATION_KIND_USER_PROJECT:
        keep(this.byUserProject, `${e.userId}/${e.projectId}`);
        break;
      case RevocationKind.REVOCATION_KIND_APPLICATION_CREDENTIAL:
        keep(this.byAppCred, e.appCredId);
        break;
      default:
        break;
    }
  }

  /** Why the token is revoked, or undefined when it is not. */
  check(p: TokenPayload): string | undefined {
    if (this.byAuditId.has(p.auditId) || p.auditChain.some((a) => this.byAuditId.has(a))) return 'token revoked';
    const before = (e: RevocationEvent | undefined): boolean => !!e && p.issuedAtMs < e.issuedBeforeMs;
    if (before(this.byUser.get(p.userId))) return "user's tokens revoked";
    if (p.projectId && before(this.byProject.get(p.projectId))) return "project's tokens revoked";
    if (p.projectId && before(this.byUserProject.get(`${p.userId}/${p.projectId}`))) return "user's tokens on the project revoked";
    if (p.appCredId && this.byAppCred.has(p.appCredId)) return 'application credential revoked';
    return undefined;
  }

  /** Drops events that can no longer match an unexpired token. */
  prune(nowMs: number): void {
    for (const map of [this.byAuditId, this.byUser, this.byProject, this.byUserProject, this.byAppCred]) {
      for (const [k, e] of map) if (e.expiresAtMs && e.expiresAtMs <= nowMs) map.delete(k);
    }
  }

  all(): RevocationEvent[] {
    return [...this.byAuditId.values(), ...this.byUser.values(), ...this.byProject.values(), ...this.byUserProject.values(), ...this.byAppCred.values()];
  }
}
