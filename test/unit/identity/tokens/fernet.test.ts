import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import {
  FERNET_VERSION,
  type FernetKey,
  MAX_TOKEN_CHARS,
  type OpenFailure,
  decodeBase64urlStrict,
  keyFromBase64url,
  keyFromBytes,
  keyToBase64url,
  open,
  seal,
} from '../../../../services/identity/tokens/fernet';
import { BASE64URL_ALPHABET, prng, singleCharMutations } from './helpers';

const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i);

// The Fernet spec's own vector (github.com/fernet/spec, generate.json / verify.json), so tokens
// are checked against an independent implementation, not just against ourselves.
const SPEC = {
  secret: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
  nowSeconds: 499162800, // 1985-10-26T01:20:00-07:00
  iv: Buffer.from(range(16)),
  src: 'hello',
  token: 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==',
};

// Our own vector, pinned so any change to the byte layout shows up as a diff. Python's
// cryptography.fernet (Fernet._encrypt_from_parts with the same key, time and IV) gives the same
// token plus one '=' of padding.
const KEY_BYTES = Buffer.from(range(32));
const KEY = keyFromBytes(KEY_BYTES);
const IV = Buffer.alloc(16, 0xa5);
const NOW = 1_700_000_000;
const PLAINTEXT = Buffer.from('weft token core, golden vector');
const GOLDEN = 'gAAAAABlU_EApaWlpaWlpaWlpaWlpaWlpS28XYvwUvaIxKnjtZs2QxZBO_f3r3BunuKSQlNnaALPvyWLubHWxBiwjxwMnkXc6KHWdyE7q9hI8JehOEme9V8';

const otherKeyFixed = keyFromBytes(Buffer.alloc(32, 7));
const otherKey = (): FernetKey => keyFromBytes(randomBytes(32));
const ALL_REASONS: readonly OpenFailure[] = ['malformed', 'bad-signature', 'unsupported-version', 'bad-padding', 'expired', 'not-yet-valid'];

function expectFailure(token: string, keys: readonly FernetKey[], reason?: OpenFailure): void {
  const r = open(token, keys, { nowSeconds: NOW });
  expect(r.ok).toBe(false);
  if (!r.ok && reason !== undefined) expect(r.reason).toBe(reason);
}

/** Builds a token byte by byte, bypassing seal's padding: for authentic-but-broken inputs. */
function handSeal(key: FernetKey, timestamp: bigint, iv: Buffer, paddedPlaintext: Buffer, version = FERNET_VERSION): string {
  const cipher = createCipheriv('aes-128-cbc', key.encryption, iv);
  cipher.setAutoPadding(false);
  const ct = Buffer.concat([cipher.update(paddedPlaintext), cipher.final()]);
  const head = Buffer.alloc(9);
  head[0] = version;
  head.writeBigUInt64BE(timestamp, 1);
  const signed = Buffer.concat([head, iv, ct]);
  return Buffer.concat([signed, createHmac('sha256', key.signing).update(signed).digest()]).toString('base64url');
}

describe('Fernet spec vector', () => {
  const key = keyFromBase64url(SPEC.secret);

  test('seal produces the spec token (we omit the = padding)', () => {
    const token = seal(Buffer.from(SPEC.src), key, SPEC.nowSeconds, SPEC.iv);
    expect(token).toBe(SPEC.token.replace(/=+$/, ''));
  });

  test('the padded spec token opens', () => {
    const r = open(SPEC.token, [key], { nowSeconds: SPEC.nowSeconds, ttlSeconds: 60 });
    expect(r).toEqual({ ok: true, plaintext: Buffer.from(SPEC.src), keyIndex: 0, timestampSeconds: SPEC.nowSeconds });
  });

  test('key text round-trips in the spec / Keystone file format', () => {
    expect(keyToBase64url(key)).toBe(SPEC.secret);
  });
});

describe('seal/open', () => {
  test('golden vector: fixed key, IV and time give this exact token, and it opens', () => {
    const token = seal(PLAINTEXT, KEY, NOW, IV);
    expect(token).toBe(GOLDEN);
    // Layout: version, big-endian timestamp, IV, then 2 blocks of ciphertext and a 32-byte MAC.
    const raw = Buffer.from(token, 'base64url');
    expect(raw[0]).toBe(0x80);
    expect(raw.readBigUInt64BE(1)).toBe(BigInt(NOW));
    expect(raw.subarray(9, 25)).toEqual(IV);
    expect(raw.length).toBe(1 + 8 + 16 + 32 + 32);
    expect(open(GOLDEN, [KEY], { nowSeconds: NOW })).toEqual({ ok: true, plaintext: PLAINTEXT, keyIndex: 0, timestampSeconds: NOW });
  });

  test('round trip for every plaintext length across block boundaries', () => {
    for (const n of [...range(50), 255, 256, 1000]) {
      const plaintext = randomBytes(n);
      const token = seal(plaintext, KEY, NOW, randomBytes(16));
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      const r = open(token, [KEY], { nowSeconds: NOW });
      expect(r.ok && r.plaintext.equals(plaintext)).toBe(true);
    }
  });

  test('fresh IVs make equal plaintexts seal differently', () => {
    const a = seal(PLAINTEXT, KEY, NOW, randomBytes(16));
    const b = seal(PLAINTEXT, KEY, NOW, randomBytes(16));
    expect(a).not.toBe(b);
  });

  test('keys are tried in order and the matching index is reported', () => {
    const keys = [otherKey(), otherKey(), KEY, otherKey()];
    const r = open(GOLDEN, keys, { nowSeconds: NOW });
    expect(r.ok && r.keyIndex).toBe(2);
    // A duplicate key earlier in the list wins.
    const r2 = open(GOLDEN, [KEY, ...keys], { nowSeconds: NOW });
    expect(r2.ok && r2.keyIndex).toBe(0);
  });

  test('wrong key, or no keys, is bad-signature', () => {
    expectFailure(GOLDEN, [otherKey()], 'bad-signature');
    expectFailure(GOLDEN, [otherKey(), otherKey(), otherKey()], 'bad-signature');
    expectFailure(GOLDEN, [], 'bad-signature');
  });

  test('a key with only the encryption half right still fails (the MAC uses the signing half)', () => {
    const mixed = keyFromBytes(Buffer.concat([randomBytes(16), KEY.encryption]));
    expectFailure(GOLDEN, [mixed], 'bad-signature');
  });

  test('changing any single character is rejected', () => {
    let n = 0;
    for (const t of singleCharMutations(GOLDEN, BASE64URL_ALPHABET + '=.+/ ')) {
      expectFailure(t, [KEY]);
      n++;
    }
    expect(n).toBe(GOLDEN.length * (BASE64URL_ALPHABET.length + 4));
  });

  test('flipping any bit of the decoded token is rejected, with the right reason', () => {
    const raw = Buffer.from(GOLDEN, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(raw);
        copy[i] ^= 1 << bit;
        expectFailure(copy.toString('base64url'), [KEY], i === 0 ? 'unsupported-version' : 'bad-signature');
      }
    }
  });

  test('every truncation, and every extension, is rejected', () => {
    for (let len = 0; len < GOLDEN.length; len++) expectFailure(GOLDEN.slice(0, len), [KEY]);
    for (let len = 1; len < GOLDEN.length; len++) expectFailure(GOLDEN.slice(len), [KEY]);
    // (A single '=' is this token's correct padding: accepted, see the padding test.)
    for (const extra of ['A', 'AA', 'AAA', 'AAAA', 'A'.repeat(22), '==', '\n', ' ']) expectFailure(GOLDEN + extra, [KEY]);
    // Dropping whole blocks keeps the length plausible, so the MAC must catch it.
    const raw = Buffer.from(GOLDEN, 'base64url');
    const shorter = Buffer.concat([raw.subarray(0, 25 + 16), raw.subarray(raw.length - 32)]);
    expectFailure(shorter.toString('base64url'), [KEY], 'bad-signature');
  });

  test('non-canonical base64 (unused trailing bits set) is malformed, not an alias', () => {
    // GOLDEN is 89 bytes: its last character carries 4 data bits and 2 unused (zero) ones.
    const last = GOLDEN[GOLDEN.length - 1];
    const idx = BASE64URL_ALPHABET.indexOf(last);
    const alias = GOLDEN.slice(0, -1) + BASE64URL_ALPHABET[idx | 1];
    expect(Buffer.from(alias, 'base64url')).toEqual(Buffer.from(GOLDEN, 'base64url'));
    expectFailure(alias, [KEY], 'malformed');
  });

  test('padding: exactly right is accepted, anything else is malformed', () => {
    // 89 bytes -> 119 characters unpadded, 120 padded.
    expect(GOLDEN.length).toBe(119);
    expect(open(GOLDEN + '=', [KEY], { nowSeconds: NOW }).ok).toBe(true);
    for (const bad of [GOLDEN + '==', GOLDEN + '===', GOLDEN + '====', GOLDEN.slice(0, 80) + '=' + GOLDEN.slice(80), '=' + GOLDEN]) {
      expectFailure(bad, [KEY], 'malformed');
    }
  });

  test('standard-base64 characters and whitespace are malformed', () => {
    expectFailure(GOLDEN.replace(/-/g, '+').replace(/_/g, '/'), [KEY], 'malformed');
    expectFailure(` ${GOLDEN}`, [KEY], 'malformed');
    expectFailure(`${GOLDEN.slice(0, 40)}\n${GOLDEN.slice(40)}`, [KEY], 'malformed');
  });

  test('other version bytes are unsupported-version', () => {
    for (const v of [0x00, 0x7f, 0x81, 0x91, 0xff]) {
      const t = handSeal(KEY, BigInt(NOW), IV, Buffer.alloc(16, 16), v);
      expectFailure(t, [KEY], 'unsupported-version');
    }
  });

  test('bad PKCS#7 padding under a valid MAC is bad-padding', () => {
    const good = Buffer.concat([Buffer.from('twelve bytes'), Buffer.alloc(4, 4)]);
    expect(open(handSeal(KEY, BigInt(NOW), IV, good), [KEY], { nowSeconds: NOW }).ok).toBe(true);
    const bads = [
      Buffer.concat([Buffer.from('twelve bytes'), Buffer.from([4, 4, 3, 4])]),
      Buffer.concat([Buffer.alloc(15, 1), Buffer.from([0])]),
      Buffer.concat([Buffer.alloc(15, 17), Buffer.from([17])]),
      Buffer.alloc(32, 0x21),
    ];
    for (const p of bads) expectFailure(handSeal(KEY, BigInt(NOW), IV, p), [KEY], 'bad-padding');
  });

  test('a timestamp beyond 2^53 under a valid MAC is malformed', () => {
    expectFailure(handSeal(KEY, 2n ** 60n, IV, Buffer.alloc(16, 16)), [KEY], 'malformed');
  });

  test('TTL: checked only when asked, inclusive at the boundary, with 60 s of future skew', () => {
    const t = seal(PLAINTEXT, KEY, NOW, IV);
    const at = (nowSeconds: number, ttlSeconds?: number) => open(t, [KEY], { nowSeconds, ttlSeconds });
    expect(at(NOW + 10_000).ok).toBe(true);
    expect(at(NOW + 100, 100).ok).toBe(true);
    expect(at(NOW + 101, 100)).toEqual({ ok: false, reason: 'expired' });
    expect(at(NOW - 60, 100).ok).toBe(true);
    expect(at(NOW - 61, 100)).toEqual({ ok: false, reason: 'not-yet-valid' });
    // A forgery is a forgery even when it is also old.
    expect(open(t, [otherKey()], { nowSeconds: NOW + 10_000, ttlSeconds: 1 })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test('overlong input is rejected before decoding', () => {
    expectFailure('A'.repeat(MAX_TOKEN_CHARS + 1), [KEY], 'malformed');
  });
});

describe('seal input checks', () => {
  test('throws on a bad IV, time or oversized plaintext', () => {
    expect(() => seal(PLAINTEXT, KEY, NOW, Buffer.alloc(15))).toThrow(RangeError);
    expect(() => seal(PLAINTEXT, KEY, -1, IV)).toThrow(RangeError);
    expect(() => seal(PLAINTEXT, KEY, 1.5, IV)).toThrow(RangeError);
    expect(() => seal(PLAINTEXT, KEY, Number.NaN, IV)).toThrow(RangeError);
    expect(() => seal(Buffer.alloc(MAX_TOKEN_CHARS), KEY, NOW, IV)).toThrow(RangeError);
  });

  test('the largest plaintext seal accepts makes a token open accepts', () => {
    let n = 0;
    while (n < MAX_TOKEN_CHARS) {
      try {
        seal(Buffer.alloc(n + 1), KEY, NOW, IV);
        n++;
      } catch {
        break;
      }
    }
    const token = seal(Buffer.alloc(n), KEY, NOW, IV);
    expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_CHARS);
    expect(open(token, [KEY], { nowSeconds: NOW }).ok).toBe(true);
  });
});

describe('keys', () => {
  test('keyFromBytes splits signing and encryption halves and copies its input', () => {
    const raw = Buffer.from(KEY_BYTES);
    const k = keyFromBytes(raw);
    expect(k.signing).toEqual(KEY_BYTES.subarray(0, 16));
    expect(k.encryption).toEqual(KEY_BYTES.subarray(16));
    raw.fill(0);
    expect(k.signing).toEqual(KEY_BYTES.subarray(0, 16));
  });

  test('keyFromBytes rejects other lengths', () => {
    for (const n of [0, 16, 31, 33, 64]) expect(() => keyFromBytes(Buffer.alloc(n))).toThrow(RangeError);
  });

  test('keyFromBase64url accepts padded/unpadded text with surrounding whitespace, rejects the rest', () => {
    const text = keyToBase64url(KEY);
    expect(text).toHaveLength(44);
    for (const t of [text, text.slice(0, 43), `${text}\n`, `  ${text}  `]) expect(keyFromBase64url(t)).toEqual(KEY);
    const std = Buffer.from(range(32, 200)).toString('base64'); // contains + or /
    expect(std).toMatch(/[+/]/);
    for (const t of ['', 'abc', text.slice(0, 40), `${text}AAAA`, std, text.replace('=', '==')]) {
      expect(() => keyFromBase64url(t)).toThrow(RangeError);
    }
  });
});

describe('decodeBase64urlStrict', () => {
  test('accepts exactly the canonical encodings', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = randomBytes(n);
      const unpadded = bytes.toString('base64url');
      const padded = unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
      expect(decodeBase64urlStrict(unpadded)).toEqual(bytes);
      expect(decodeBase64urlStrict(padded)).toEqual(bytes);
    }
    for (const bad of ['A', 'A===', 'AB=', 'AB===', 'ABC==', 'AB=C', 'AB==AB==', 'AB\n', 'A+B/', 'AF', 'AAB']) {
      expect(decodeBase64urlStrict(bad)).toBeNull();
    }
  });
});

describe('fuzz: open never throws', () => {
  const valid = seal(PLAINTEXT, KEY, NOW, IV);
  const rnd = prng(0x7e57);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = (alphabet: string, len: number): string => Array.from({ length: len }, () => alphabet[int(alphabet.length)]).join('');
  const generators: (() => string)[] = [
    // Arbitrary UTF-16, including lone surrogates.
    () => String.fromCharCode(...Array.from({ length: int(300) }, () => int(0x10000))),
    () => pick(BASE64URL_ALPHABET, int(400)),
    () => pick(BASE64URL_ALPHABET + '=+/ \n.', int(400)),
    // Past the version check: the right prefix with random bodies of every length.
    () => 'gAAAAA' + pick(BASE64URL_ALPHABET, int(300)),
    () => Buffer.concat([Buffer.from([0x80]), Buffer.from(Array.from({ length: int(200) }, () => int(256)))]).toString('base64url'),
    // A valid token, truncated, mutated in several places, or spliced.
    () => valid.slice(0, int(valid.length)),
    () => {
      const chars = valid.split('');
      for (let k = 1 + int(4); k > 0; k--) chars[int(chars.length)] = BASE64URL_ALPHABET[int(64)];
      return chars.join('');
    },
    () => valid.slice(int(valid.length)) + valid.slice(0, int(valid.length)),
  ];

  test('10,000 random, truncated and mutated strings', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const s = generators[i % generators.length]();
      try {
        const r = open(s, [otherKeyFixed, KEY], { nowSeconds: NOW, ttlSeconds: i % 2 === 0 ? 60 : undefined });
        if (r.ok) {
          // Only the untouched token may open (a mutation can write the same character back).
          if (s !== valid) problems.push(`${JSON.stringify(s)} opened`);
          accepted++;
        } else {
          if (!ALL_REASONS.includes(r.reason)) problems.push(`${JSON.stringify(s)}: reason ${r.reason}`);
          seen.add(r.reason);
        }
      } catch (err) {
        problems.push(`${JSON.stringify(s)}: threw ${String(err)}`);
      }
    }
    // Collected rather than asserted per input: 10,000 jest expectations cost more than the work.
    expect(problems).toEqual([]);
    expect(accepted).toBeLessThan(50);
    expect(seen).toEqual(new Set(['malformed', 'bad-signature', 'unsupported-version']));
  });

  test('non-string input from JavaScript callers is malformed, not a crash', () => {
    for (const v of [undefined, null, 42, {}, [], Buffer.from(GOLDEN)]) {
      expect(open(v as unknown as string, [KEY], { nowSeconds: NOW })).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});
