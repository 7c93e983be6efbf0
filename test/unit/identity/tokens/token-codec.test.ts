import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SealedTokenPayload, TokenPayload } from '../../../../proto/gen/weft/identity/v1/token';
import { type FernetKey, keyFromBytes, open, seal } from '../../../../services/identity/tokens/fernet';
import { KeyRepository } from '../../../../services/identity/tokens/key-repository';
import {
  type Clock,
  MAX_ISSUED_AT_SKEW_MS,
  TOKEN_PAYLOAD_VERSION,
  type ValidateResult,
  issueToken,
  newAuditId,
  staticKeys,
  validateToken,
} from '../../../../services/identity/tokens/token-codec';
import { BASE64URL_ALPHABET, TmpDirs, deterministicRandom, prng, singleCharMutations } from './helpers';

const at = (ms: number): Clock => ({ now: () => new Date(ms) });
const fixedIv = (iv: Buffer) => (size: number): Buffer => {
  expect(size).toBe(16);
  return iv;
};

const KEY = keyFromBytes(Buffer.from(Array.from({ length: 32 }, (_, i) => 0xf0 ^ i)));
const KEYS = staticKeys(KEY);
const IV = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const ISSUED = 1_700_000_000_123;
const HOUR = 3_600_000;

const GOLDEN_PAYLOAD: TokenPayload = {
  version: TOKEN_PAYLOAD_VERSION,
  userId: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
  projectId: 'a1b2c3d4-e5f6-4789-abcd-ef0123456789',
  domainId: 'default',
  roles: ['member', 'reader'],
  methods: ['password'],
  issuedAtMs: ISSUED,
  expiresAtMs: ISSUED + HOUR,
  auditId: Buffer.from('101112131415161718191a1b1c1d1e1f', 'hex').toString('base64url'),
  auditChain: [],
  appCredId: '',
};

// Python's cryptography.fernet decrypts this (with '=' padding restored) to GOLDEN_PLAINTEXT_HEX.
const GOLDEN_TOKEN =
  'gAAAAABlU_EAAAECAwQFBgcICQoLDA0OD6Gl4KvQkSeZ3yvLxtb7m6Kr3BILzOjtj91O2JKz8UwrBtbSrs6dzcw0ApsLo59XyK_6rMwQAS02Kt5p4IO3oDmWbESfc1YqhlZaa-VZSrK3aZHHelRhgB6vwNi5BiFEZ1ltxsNxvhHj62SJgndZVZKFa1aMSyQQbHbdrDGunrWp2SUAqZh7UNyFaqgGKeY_Lw';

/** Protobuf varint, written out here so the golden bytes do not depend on the generated codec. */
function varint(n: number): string {
  let v = BigInt(n);
  let out = '';
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out += b.toString(16).padStart(2, '0');
  } while (v > 0n);
  return out;
}
const str = (s: string): string => Buffer.from(s).toString('hex');

// SealedTokenPayload of GOLDEN_PAYLOAD, field by field (tag byte, length, value).
const GOLDEN_PLAINTEXT_HEX = [
  '0801', // 1 version = 1
  '1210' + '6f1c2a9e3b4d4e5f8a7b9c0d1e2f3a4b', // 2 user_uuid: 16 raw bytes
  '2210' + 'a1b2c3d4e5f64789abcdef0123456789', // 4 project_uuid
  '3a07' + str('default'), // 7 domain_id: not a UUID, so text
  '4206' + str('member'), // 8 roles
  '4206' + str('reader'),
  '4a08' + str('password'), // 9 methods
  '50' + varint(ISSUED), // 10 issued_at_ms
  '58' + varint(ISSUED + HOUR), // 11 expires_at_ms
  '6210' + '101112131415161718191a1b1c1d1e1f', // 12 audit_id: 16 raw bytes
].join('');

function payload(overrides: Partial<TokenPayload> = {}): TokenPayload {
  return {
    version: TOKEN_PAYLOAD_VERSION,
    userId: randomUUID(),
    projectId: randomUUID(),
    domainId: randomUUID(),
    roles: ['member'],
    methods: ['password'],
    issuedAtMs: ISSUED,
    expiresAtMs: ISSUED + HOUR,
    auditId: newAuditId(),
    auditChain: [],
    appCredId: '',
    ...overrides,
  };
}

function expectFail(r: ValidateResult, code: 'expired' | 'invalid' | 'unsupported'): void {
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.code).toBe(code);
    expect(r.reason.length).toBeGreaterThan(0);
  }
}

/** An authentic token around arbitrary plaintext: what only a buggy or future issuer could make. */
const sealRaw = (plaintext: Uint8Array, key: FernetKey = KEY): string => seal(plaintext, key, Math.floor(ISSUED / 1000), randomBytes(16));
const sealSealed = (overrides: Partial<SealedTokenPayload>): string =>
  sealRaw(
    SealedTokenPayload.encode(
      SealedTokenPayload.fromPartial({
        version: 1,
        userId: 'u',
        methods: ['password'],
        issuedAtMs: ISSUED,
        expiresAtMs: ISSUED + HOUR,
        auditId: Buffer.alloc(16, 1),
        ...overrides,
      }),
    ).finish(),
  );

describe('golden vector', () => {
  test('fixed key, IV, time and payload give this exact token', () => {
    const token = issueToken(GOLDEN_PAYLOAD, KEYS, at(ISSUED), { random: fixedIv(IV) });
    expect(token).toBe(GOLDEN_TOKEN);
    expect(token).toHaveLength(226);
  });

  test('it opens to the hand-written wire bytes and validates to the payload', () => {
    const opened = open(GOLDEN_TOKEN, [KEY], { nowSeconds: 0 });
    expect(opened.ok && opened.plaintext.toString('hex')).toBe(GOLDEN_PLAINTEXT_HEX);
    expect(opened.ok && opened.timestampSeconds).toBe(Math.floor(ISSUED / 1000));
    expect(validateToken(GOLDEN_TOKEN, KEYS, at(ISSUED + 1000))).toEqual({ ok: true, payload: GOLDEN_PAYLOAD });
  });
});

describe('round trip', () => {
  test.each<[string, Partial<TokenPayload>]>([
    ['project-scoped, UUID ids', {}],
    ['unscoped', { projectId: '', roles: [] }],
    ['non-UUID ids stay text', { userId: 'admin', projectId: 'service', domainId: 'default' }],
    ['uppercase and undashed UUIDs are not altered', { userId: randomUUID().toUpperCase(), projectId: randomUUID().replace(/-/g, '') }],
    ['almost-UUIDs', { userId: `${randomUUID()} `, projectId: `{${randomUUID()}}`, domainId: randomUUID().slice(1) }],
    ['unicode', { userId: 'usér-✓', roles: ['rôle', ''], domainId: '' }],
    ['application credential', { methods: ['application_credential'], appCredId: randomUUID() }],
    ['application credential with a text id', { methods: ['application_credential'], appCredId: 'cred-1' }],
    ['rescoped, with an audit chain', { methods: ['token', 'password'], auditChain: [newAuditId(), newAuditId(), newAuditId()] }],
    ['many roles', { roles: Array.from({ length: 40 }, (_, i) => `role-${i}`) }],
    ['negative and huge times', { issuedAtMs: -5, expiresAtMs: Number.MAX_SAFE_INTEGER }],
  ])('%s', (_name, overrides) => {
    const p = payload(overrides);
    const token = issueToken(p, KEYS, at(Math.max(p.issuedAtMs, 0)));
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(validateToken(token, KEYS, at(Math.max(p.issuedAtMs, 0) + 1))).toEqual({ ok: true, payload: p });
  });

  test('version 0 on input is issued as the current version', () => {
    const p = payload({ version: 0 });
    const r = validateToken(issueToken(p, KEYS, at(ISSUED)), KEYS, at(ISSUED));
    expect(r).toEqual({ ok: true, payload: { ...p, version: TOKEN_PAYLOAD_VERSION } });
  });

  test('packing UUIDs as bytes makes tokens shorter than text would', () => {
    const packed = issueToken(payload(), KEYS, at(ISSUED));
    const asText = issueToken(payload({ userId: randomUUID().toUpperCase(), projectId: randomUUID().toUpperCase(), domainId: randomUUID().toUpperCase() }), KEYS, at(ISSUED));
    expect(packed.length).toBeLessThan(asText.length - 50);
    // A typical scoped token: UUID user and project, "default" domain, two roles, one method.
    expect(issueToken(payload({ domainId: 'default', roles: ['member', 'reader'] }), KEYS, at(ISSUED)).length).toBeLessThanOrEqual(226);
  });

  test('the same payload seals differently each time (fresh IV)', () => {
    const p = payload();
    expect(issueToken(p, KEYS, at(ISSUED))).not.toBe(issueToken(p, KEYS, at(ISSUED)));
  });
});

describe('rejection', () => {
  const token = issueToken(payload(), KEYS, at(ISSUED));
  const now = at(ISSUED + 1000);

  test('changing any single character', () => {
    for (const t of singleCharMutations(token, BASE64URL_ALPHABET)) {
      const r = validateToken(t, KEYS, now);
      expect(r.ok).toBe(false);
      // Only the first two characters carry bits of the version byte, so only they can make it
      // 'unsupported'; every other change is 'invalid'.
      const versionChars = t.slice(0, 2) !== token.slice(0, 2);
      if (!r.ok && r.code !== 'invalid') expect([r.code, versionChars]).toEqual(['unsupported', true]);
    }
  });

  test('flipping any bit of the decoded token', () => {
    const raw = Buffer.from(token, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(raw);
        copy[i] ^= 1 << bit;
        expectFail(validateToken(copy.toString('base64url'), KEYS, now), i === 0 ? 'unsupported' : 'invalid');
      }
    }
  });

  test('truncation at every length', () => {
    for (let len = 0; len < token.length; len++) expectFail(validateToken(token.slice(0, len), KEYS, now), 'invalid');
  });

  test('a wrong key', () => {
    expectFail(validateToken(token, staticKeys(keyFromBytes(randomBytes(32))), now), 'invalid');
  });

  test('expired: from expires_at_ms on, not a millisecond before', () => {
    const p = payload();
    const t = issueToken(p, KEYS, at(ISSUED));
    expect(validateToken(t, KEYS, at(p.expiresAtMs - 1)).ok).toBe(true);
    expectFail(validateToken(t, KEYS, at(p.expiresAtMs)), 'expired');
    expectFail(validateToken(t, KEYS, at(p.expiresAtMs + 365 * 24 * HOUR)), 'expired');
    // Expiry is reported only for authentic tokens.
    expectFail(validateToken(t, staticKeys(keyFromBytes(randomBytes(32))), at(p.expiresAtMs + 1)), 'invalid');
  });

  test(`issued more than ${MAX_ISSUED_AT_SKEW_MS} ms in the future`, () => {
    const t = issueToken(payload(), KEYS, at(ISSUED));
    expect(validateToken(t, KEYS, at(ISSUED - MAX_ISSUED_AT_SKEW_MS)).ok).toBe(true);
    expectFail(validateToken(t, KEYS, at(ISSUED - MAX_ISSUED_AT_SKEW_MS - 1)), 'invalid');
  });

  test('an unknown payload version is unsupported', () => {
    expectFail(validateToken(sealSealed({ version: 2 }), KEYS, now), 'unsupported');
    expectFail(validateToken(sealSealed({ version: 0 }), KEYS, now), 'unsupported');
    expect(validateToken(sealSealed({}), KEYS, now).ok).toBe(true);
  });

  test('authentic but inconsistent payloads are invalid', () => {
    const cases: Partial<SealedTokenPayload>[] = [
      { userUuid: Buffer.alloc(15) },
      { userUuid: Buffer.alloc(17) },
      { projectUuid: Buffer.alloc(16), projectId: 'both forms set' },
      { domainUuid: Buffer.alloc(1) },
      { appCredUuid: Buffer.alloc(32) },
      { auditId: Buffer.alloc(0) },
      { auditId: Buffer.alloc(15) },
      { auditChain: [Buffer.alloc(16), Buffer.alloc(3)] },
      { expiresAtMs: ISSUED },
      { expiresAtMs: ISSUED - 1, issuedAtMs: ISSUED - 2 * HOUR + 1, version: 1 },
    ];
    for (const c of cases) {
      const r = validateToken(sealSealed(c), KEYS, now);
      expect(r.ok).toBe(false);
    }
  });

  test('authentic plaintext that is not a payload is invalid', () => {
    for (const bytes of [
      Buffer.from([0xff]), // truncated varint tag
      Buffer.from([0x12, 0x20, 0x00]), // length past the end
      Buffer.from([0x50, ...Array(10).fill(0xff), 0x01]), // varint too long
      Buffer.from([0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // int64 beyond 2^53
      Buffer.from([0x1a, 0x02, 0xc3, 0x28]), // invalid UTF-8 in a string field
      Buffer.alloc(0),
    ]) {
      const r = validateToken(sealRaw(bytes), KEYS, now);
      expect(r.ok).toBe(false);
    }
  });
});

describe('issueToken refuses payloads no validator would accept', () => {
  test.each<[string, Partial<TokenPayload>]>([
    ['no user', { userId: '' }],
    ['no methods', { methods: [] }],
    ['unknown version', { version: 2 }],
    ['empty audit id', { auditId: '' }],
    ['padded audit id', { auditId: `${newAuditId()}==` }],
    ['15-byte audit id', { auditId: randomBytes(15).toString('base64url') }],
    ['audit id in standard base64', { auditId: Buffer.alloc(16, 0xfb).toString('base64') }],
    ['bad audit chain entry', { auditChain: [newAuditId(), 'nope'] }],
    ['expiry equal to issue', { expiresAtMs: ISSUED }],
    ['expiry before issue', { expiresAtMs: ISSUED - 1 }],
    ['fractional time', { issuedAtMs: ISSUED + 0.5 }],
    ['already expired', { issuedAtMs: ISSUED - 2 * HOUR, expiresAtMs: ISSUED }],
    ['issued in the future', { issuedAtMs: ISSUED + MAX_ISSUED_AT_SKEW_MS + 1, expiresAtMs: ISSUED + 2 * HOUR }],
  ])('%s', (_name, overrides) => {
    expect(() => issueToken(payload(overrides), KEYS, at(ISSUED))).toThrow(RangeError);
  });
});

describe('newAuditId', () => {
  test('is 16 random bytes as 22 base64url characters', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newAuditId()));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(newAuditId(() => Buffer.alloc(16, 0xff))).toBe('_____________________w');
    expect(() => newAuditId(() => Buffer.alloc(8))).toThrow(RangeError);
  });
});

describe('with a key repository', () => {
  const tmp = new TmpDirs();
  afterEach(() => tmp.cleanup());

  test('a token outlives one rotation (its key is secondary) and dies once the key is pruned', async () => {
    const repo = await KeyRepository.open(join(tmp.make(), 'keys'), { random: deterministicRandom('lifecycle') });
    const p = payload({ expiresAtMs: ISSUED + 24 * HOUR });
    const token = issueToken(p, repo, at(ISSUED));
    expect(validateToken(token, repo, at(ISSUED))).toEqual({ ok: true, payload: p });

    await repo.rotate({ maxActiveKeys: 3 });
    expect(repo.list().map((e) => e.index)).toEqual([2, 1, 0]);
    expect(validateToken(token, repo, at(ISSUED))).toEqual({ ok: true, payload: p });
    const opened = open(token, repo.keys(), { nowSeconds: 0 });
    expect(opened.ok && repo.list()[opened.keyIndex].role).toBe('secondary');

    await repo.rotate({ maxActiveKeys: 3 });
    expect(repo.list().map((e) => e.index)).toEqual([3, 2, 0]);
    expectFail(validateToken(token, repo, at(ISSUED)), 'invalid');

    // New tokens keep working through all of it.
    const fresh = issueToken(p, repo, at(ISSUED));
    expect(validateToken(fresh, repo, at(ISSUED)).ok).toBe(true);
  });

  test('tokens sealed with the staged key validate', async () => {
    const repo = await KeyRepository.open(join(tmp.make(), 'keys'));
    const staged = repo.list().find((e) => e.role === 'staged');
    expect(staged).toBeDefined();
    const token = issueToken(payload(), staticKeys(staged!.key), at(ISSUED));
    const opened = open(token, repo.keys(), { nowSeconds: 0 });
    expect(opened.ok && opened.keyIndex).toBe(repo.keys().length - 1);
    expect(validateToken(token, repo, at(ISSUED)).ok).toBe(true);
  });

  test("a node that has not reloaded yet validates tokens from a node that rotated", async () => {
    const dir = join(tmp.make(), 'keys');
    const rotated = await KeyRepository.open(dir);
    const lagging = await KeyRepository.open(dir);
    await rotated.rotate({ maxActiveKeys: 3 });
    const token = issueToken(payload(), rotated, at(ISSUED));
    expect(validateToken(token, lagging, at(ISSUED)).ok).toBe(true);
    await lagging.reload();
    const opened = open(token, lagging.keys(), { nowSeconds: 0 });
    expect(opened.ok && opened.keyIndex).toBe(0);
  });
});

describe('fuzz: validateToken never throws', () => {
  const rnd = prng(0xbeef);
  const int = (n: number): number => Math.floor(rnd() * n);
  const valid = issueToken(payload(), KEYS, at(ISSUED));
  const now = at(ISSUED + 1);

  test('10,000 random, truncated and mutated strings', () => {
    const problems: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      let s: string;
      switch (i % 5) {
        case 0:
          s = String.fromCharCode(...Array.from({ length: int(400) }, () => int(0x10000)));
          break;
        case 1:
          s = Array.from({ length: int(400) }, () => BASE64URL_ALPHABET[int(64)]).join('');
          break;
        case 2:
          s = 'gAAAAA' + Array.from({ length: int(400) }, () => BASE64URL_ALPHABET[int(64)]).join('');
          break;
        case 3:
          s = valid.slice(0, int(valid.length + 1));
          break;
        default: {
          const chars = valid.split('');
          chars[int(chars.length)] = BASE64URL_ALPHABET[int(64)];
          s = chars.join('');
        }
      }
      try {
        const r = validateToken(s, KEYS, now);
        // Only the untouched token may validate (a mutation can write the same character back).
        if (r.ok ? s !== valid : !['invalid', 'unsupported'].includes(r.code)) problems.push(`${JSON.stringify(s)}: ${JSON.stringify(r)}`);
      } catch (err) {
        problems.push(`${JSON.stringify(s)}: threw ${String(err)}`);
      }
    }
    // Collected rather than asserted per input: 10,000 jest expectations cost more than the work.
    expect(problems).toEqual([]);
  });

  test('2,000 authentic tokens around random plaintext', () => {
    const problems: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const bytes = Buffer.from(Array.from({ length: int(120) }, () => int(256)));
      try {
        validateToken(sealRaw(bytes), KEYS, now);
      } catch (err) {
        problems.push(`${bytes.toString('hex')}: threw ${String(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
