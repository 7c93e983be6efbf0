import { Metadata, status } from '@grpc/grpc-js';
import { RevocationKind, type RevocationEvent } from '../../../../proto/gen/weft/identity/v1/resources';
import type { TokenPayload } from '../../../../proto/gen/weft/identity/v1/token';
import { RevocationSet } from '../../../../services/runtime/auth/revocations';
import { OPENED_TOKEN_CACHE_SIZE, TokenAuthenticator, type TokenCaller } from '../../../../services/runtime/auth/token-authenticator';
import { WeftError } from '../../../../services/runtime/errors';
import { keyFromBytes } from '../../../../services/identity/tokens/fernet';
import { issueToken, newAuditId, staticKeys, type ValidatingKeys } from '../../../../services/identity/tokens/token-codec';
import type { FernetKey } from '../../../../services/identity/tokens/fernet';

const key = keyFromBytes(Buffer.alloc(32, 7));
const other = keyFromBytes(Buffer.alloc(32, 9));
let nowMs = Date.UTC(2026, 10, 25, 12, 0, 0);
const clock = { now: () => new Date(nowMs) };

function payload(over: Partial<TokenPayload> = {}): TokenPayload {
  return {
    version: 0,
    userId: 'u1',
    projectId: 'p1',
    domainId: 'd1',
    roles: ['Member'],
    methods: ['password'],
    issuedAtMs: nowMs,
    expiresAtMs: nowMs + 3600_000,
    auditId: newAuditId(),
    auditChain: [],
    appCredId: '',
    ...over,
  };
}

function event(over: Partial<RevocationEvent>): RevocationEvent {
  return { kind: RevocationKind.REVOCATION_KIND_UNSPECIFIED, auditId: '', userId: '', projectId: '', appCredId: '', issuedBeforeMs: 0, expiresAtMs: nowMs + 3600_000, ...over };
}

function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

describe('TokenAuthenticator', () => {
  const revocations = new RevocationSet();
  const auth = new TokenAuthenticator(staticKeys(key), revocations, clock);

  test('a valid bearer token becomes a typed caller with lowercase roles', () => {
    const p = payload({ roles: ['Admin', 'member'] });
    const c = auth.authenticate(bearer(issueToken(p, staticKeys(key), clock)), 'req') as TokenCaller;
    expect(c).not.toBeInstanceOf(WeftError);
    expect(c).toMatchObject({ userId: 'u1', projectId: 'p1', roles: ['admin', 'member'], isAdmin: true, requestId: 'req', auditId: p.auditId });
  });

  test.each([
    ['no header', new Metadata()],
    ['not bearer', (() => { const m = new Metadata(); m.set('authorization', 'Basic abc'); return m; })()],
    ['garbage', bearer('not-a-token')],
    ['wrong key', bearer(issueToken(payload(), staticKeys(other), clock))],
  ])('%s is UNAUTHENTICATED', (_name, md) => {
    const out = auth.authenticate(md, 'r');
    expect(out).toBeInstanceOf(WeftError);
    expect((out as WeftError).code).toBe(status.UNAUTHENTICATED);
  });

  test('expired tokens are UNAUTHENTICATED and say so', () => {
    const token = issueToken(payload({ expiresAtMs: nowMs + 1000 }), staticKeys(key), clock);
    nowMs += 2000;
    try {
      const out = auth.authenticate(bearer(token), 'r') as WeftError;
      expect(out.code).toBe(status.UNAUTHENTICATED);
      expect(out.message).toContain('expired');
    } finally {
      nowMs -= 2000;
    }
  });

  test('revocation by audit id, by parent audit id, by user, by project and by user+project', () => {
    const set = new RevocationSet();
    const a = new TokenAuthenticator(staticKeys(key), set, clock);
    const parent = newAuditId();
    const t1 = payload({ auditChain: [parent] });
    const t2 = payload({ userId: 'u2' });
    const t3 = payload({ userId: 'u3', projectId: 'p3' });
    const t4 = payload({ userId: 'u4', projectId: 'p4' });
    const tok = (p: TokenPayload) => bearer(issueToken(p, staticKeys(key), clock));
    for (const p of [t1, t2, t3, t4]) expect(a.authenticate(tok(p), 'r')).not.toBeInstanceOf(WeftError);
    set.add(event({ kind: RevocationKind.REVOCATION_KIND_AUDIT_ID, auditId: parent }));
    set.add(event({ kind: RevocationKind.REVOCATION_KIND_USER, userId: 'u2', issuedBeforeMs: nowMs + 1 }));
    set.add(event({ kind: RevocationKind.REVOCATION_KIND_PROJECT, projectId: 'p3', issuedBeforeMs: nowMs + 1 }));
    set.add(event({ kind: RevocationKind.REVOCATION_KIND_USER_PROJECT, userId: 'u4', projectId: 'p4', issuedBeforeMs: nowMs + 1 }));
    for (const p of [t1, t2, t3, t4]) expect(a.authenticate(tok(p), 'r')).toBeInstanceOf(WeftError);
    // Tokens issued after a cutoff are not affected.
    const later = payload({ userId: 'u2', issuedAtMs: nowMs + 5 });
    nowMs += 10;
    try {
      expect(a.authenticate(tok(later), 'r')).not.toBeInstanceOf(WeftError);
    } finally {
      nowMs -= 10;
    }
  });

  test('prune forgets events whose tokens have all expired', () => {
    const set = new RevocationSet();
    set.add(event({ kind: RevocationKind.REVOCATION_KIND_AUDIT_ID, auditId: newAuditId(), expiresAtMs: nowMs + 10 }));
    set.add(event({ kind: RevocationKind.REVOCATION_KIND_USER, userId: 'x', expiresAtMs: nowMs + 10_000 }));
    expect(set.size).toBe(2);
    set.prune(nowMs + 100);
    expect(set.size).toBe(1);
  });

  describe('tokens that opened are remembered, but what can change is checked on every call', () => {
    /** Keys whose list can be replaced (a reload), counting how often a token had to be opened. */
    function mutableKeys(...initial: FernetKey[]): ValidatingKeys & { set(...k: FernetKey[]): void; opens: number } {
      let list: readonly FernetKey[] = initial;
      const k = {
        opens: 0,
        // The authenticator asks once per call; validateToken asks once more when it opens a token.
        keys: () => {
          k.opens++;
          return list;
        },
        set: (...next: FernetKey[]) => {
          list = next;
        },
      };
      return k;
    }
    const opensFor = (keys: { opens: number }, f: () => unknown): number => {
      const before = keys.opens;
      f();
      return keys.opens - before;
    };

    test('the same token is opened once, then served from memory', () => {
      const keys = mutableKeys(key);
      const a = new TokenAuthenticator(keys, new RevocationSet(), clock);
      const md = bearer(issueToken(payload(), staticKeys(key), clock));
      expect(opensFor(keys, () => expect(a.authenticate(md, 'r')).not.toBeInstanceOf(WeftError))).toBe(2);
      expect(opensFor(keys, () => expect(a.authenticate(md, 'r')).not.toBeInstanceOf(WeftError))).toBe(1);
    });

    test('a remembered token that is then revoked is refused', () => {
      const set = new RevocationSet();
      const a = new TokenAuthenticator(staticKeys(key), set, clock);
      const p = payload();
      const md = bearer(issueToken(p, staticKeys(key), clock));
      expect(a.authenticate(md, 'r')).not.toBeInstanceOf(WeftError);
      set.add(event({ kind: RevocationKind.REVOCATION_KIND_AUDIT_ID, auditId: p.auditId }));
      const out = a.authenticate(md, 'r') as WeftError;
      expect(out).toBeInstanceOf(WeftError);
      expect(out.message).toContain('revoked');
    });

    test('a remembered token that then expires is refused', () => {
      const a = new TokenAuthenticator(staticKeys(key), new RevocationSet(), clock);
      const md = bearer(issueToken(payload({ expiresAtMs: nowMs + 1000 }), staticKeys(key), clock));
      expect(a.authenticate(md, 'r')).not.toBeInstanceOf(WeftError);
      nowMs += 1000;
      try {
        const out = a.authenticate(md, 'r') as WeftError;
        expect(out).toBeInstanceOf(WeftError);
        expect(out.message).toContain('expired');
      } finally {
        nowMs -= 1000;
      }
    });

    test('when the keys change, a remembered token whose key is gone is refused', () => {
      const keys = mutableKeys(other, key);
      const a = new TokenAuthenticator(keys, new RevocationSet(), clock);
      const md = bearer(issueToken(payload(), staticKeys(key), clock));
      expect(a.authenticate(md, 'r')).not.toBeInstanceOf(WeftError);
      keys.set(other);
      expect((a.authenticate(md, 'r') as WeftError).code).toBe(status.UNAUTHENTICATED);
      keys.set(other, key);
      expect(a.authenticate(md, 'r')).not.toBeInstanceOf(WeftError);
    });

    test('memory is bounded: the oldest token is forgotten (and opened again when it comes back)', () => {
      const keys = mutableKeys(key);
      const a = new TokenAuthenticator(keys, new RevocationSet(), clock);
      const first = bearer(issueToken(payload(), staticKeys(key), clock));
      a.authenticate(first, 'r');
      for (let i = 0; i < OPENED_TOKEN_CACHE_SIZE; i++) a.authenticate(bearer(issueToken(payload(), staticKeys(key), clock)), 'r');
      expect(opensFor(keys, () => expect(a.authenticate(first, 'r')).not.toBeInstanceOf(WeftError))).toBe(2);
    });

    test('tokens that fail to open are not remembered', () => {
      const keys = mutableKeys(key);
      const a = new TokenAuthenticator(keys, new RevocationSet(), clock);
      const md = bearer(issueToken(payload(), staticKeys(other), clock));
      expect(a.authenticate(md, 'r')).toBeInstanceOf(WeftError);
      expect(opensFor(keys, () => expect(a.authenticate(md, 'r')).toBeInstanceOf(WeftError))).toBe(2);
    });
  });
});
