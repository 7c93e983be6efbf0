import { RevocationKind } from '../../../proto/gen/weft/identity/v1/resources';
import { RevocationSet } from '../../../services/runtime/auth/revocations';
import { benchPayload, revocationMix, type IdSources } from '../../../tools/bench/identity-fixtures';

function counterIds(): IdSources {
  let n = 0;
  const hex = (): string => (n++).toString(16).padStart(32, '0');
  return {
    uuid: () => {
      const h = hex();
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    auditId: () => Buffer.from(hex(), 'hex').toString('base64url'),
  };
}

const NOW = 1_700_000_000_000;
const TTL = 3_600_000;

describe('benchPayload', () => {
  test('a project-scoped token with an audit chain, valid for ttl', () => {
    const p = benchPayload(counterIds(), NOW, TTL);
    expect(p.roles).toEqual(['admin', 'member', 'reader']);
    expect(p.auditChain).toHaveLength(1);
    expect(p.expiresAtMs - p.issuedAtMs).toBe(TTL);
    expect(p.projectId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('revocationMix', () => {
  test('exactly count distinct events, mostly audit ids, all in force', () => {
    const events = revocationMix(1000, NOW, TTL, counterIds());
    expect(events).toHaveLength(1000);
    const byKind = new Map<RevocationKind, number>();
    for (const e of events) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
    expect(byKind.get(RevocationKind.REVOCATION_KIND_USER)).toBe(150);
    expect(byKind.get(RevocationKind.REVOCATION_KIND_PROJECT)).toBe(50);
    expect(byKind.get(RevocationKind.REVOCATION_KIND_USER_PROJECT)).toBe(50);
    expect(byKind.get(RevocationKind.REVOCATION_KIND_APPLICATION_CREDENTIAL)).toBe(50);
    expect(byKind.get(RevocationKind.REVOCATION_KIND_AUDIT_ID)).toBe(700);
    expect(events.every((e) => e.expiresAtMs > NOW)).toBe(true);
    const set = new RevocationSet();
    for (const e of events) set.add(e);
    expect(set.size).toBe(1000);
  });

  test('does not revoke the subject, but names its user and user+project', () => {
    const ids = counterIds();
    const subject = benchPayload(ids, NOW, TTL);
    const events = revocationMix(1000, NOW, TTL, ids, subject);
    expect(events).toHaveLength(1000);
    expect(events.filter((e) => e.userId === subject.userId)).toHaveLength(2);
    const set = new RevocationSet();
    for (const e of events) set.add(e);
    expect(set.size).toBe(1000);
    expect(set.check(subject)).toBeUndefined();
    // The same user's older tokens are revoked, so the events do bite.
    expect(set.check({ ...subject, issuedAtMs: NOW - 120_000 })).toBeDefined();
  });

  test('small and zero counts', () => {
    expect(revocationMix(0, NOW, TTL, counterIds())).toEqual([]);
    expect(revocationMix(1, NOW, TTL, counterIds())).toHaveLength(1);
    expect(() => revocationMix(-1, NOW, TTL, counterIds())).toThrow(RangeError);
  });
});
