// The raw CommonJS module object (not an __importStar copy), so jest.spyOn sees the same
// timingSafeEqual property hash.ts calls through.
import crypto = require('node:crypto');
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  InvalidPasswordError,
  MAX_PASSWORD_BYTES,
  needsRehash,
  type ScryptParams,
  verifyPassword,
  verifyPasswordDetailed,
} from '../../../../services/identity/passwords/hash';

/** Cheap parameters so the suite stays fast; the defaults are exercised once below. */
const FAST: ScryptParams = { ln: 4, r: 8, p: 1 };

const FORMAT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function fields(stored: string): { ln: number; r: number; p: number; salt: string; hash: string } {
  const m = FORMAT.exec(stored);
  if (m === null) throw new Error(`not a scrypt hash: ${stored}`);
  return { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]), salt: m[4], hash: m[5] };
}

/** Replaces one base64 character with another valid one (keeps the string canonical). */
function flipChar(text: string, index: number): string {
  const c = text[index];
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

describe('hashPassword', () => {
  test('stores the parameters, a 16-byte salt and a 32-byte hash in the documented format', async () => {
    const stored = await hashPassword('correct horse', FAST);
    const f = fields(stored);
    expect({ ln: f.ln, r: f.r, p: f.p }).toEqual(FAST);
    expect(Buffer.from(f.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(f.hash, 'base64')).toHaveLength(32);
    expect(`${f.salt}${f.hash}`).not.toContain('='); // unpadded base64
    expect(stored).not.toContain('correct horse');
  });

  test('salts are random: the same password hashes differently each time', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    expect(a).not.toBe(b);
    expect(fields(a).salt).not.toBe(fields(b).salt);
  });

  test('the defaults are ln=15,r=8,p=1 and verify', async () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ ln: 15, r: 8, p: 1 });
    const stored = await hashPassword('default params');
    expect(stored.startsWith('$scrypt$ln=15,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('default params', stored)).toBe(true);
  });

  test('matches scrypt computed directly (so other scrypt implementations can read our hashes)', async () => {
    const stored = await hashPassword('interop', FAST);
    const f = fields(stored);
    const expected = crypto.scryptSync('interop', Buffer.from(f.salt, 'base64'), 32, { N: 2 ** FAST.ln, r: FAST.r, p: FAST.p });
    expect(Buffer.from(f.hash, 'base64').equals(expected)).toBe(true);
  });

  test('rejects empty and over-long passwords with a typed reason and no password in the message', async () => {
    await expect(hashPassword('', FAST)).rejects.toMatchObject({ name: 'InvalidPasswordError', reason: 'empty' });
    const long = 'x'.repeat(MAX_PASSWORD_BYTES + 1);
    const err = await hashPassword(long, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidPasswordError);
    expect((err as InvalidPasswordError).reason).toBe('too_long');
    expect((err as Error).message).not.toContain('xxxx');
    // The limit is in UTF-8 bytes, not characters.
    await expect(hashPassword('x'.repeat(MAX_PASSWORD_BYTES), FAST)).resolves.toMatch(FORMAT);
    await expect(hashPassword('é'.repeat(MAX_PASSWORD_BYTES / 2), FAST)).resolves.toMatch(FORMAT);
    await expect(hashPassword('é'.repeat(MAX_PASSWORD_BYTES / 2 + 1), FAST)).rejects.toMatchObject({ reason: 'too_long' });
    await expect(hashPassword(undefined as unknown as string, FAST)).rejects.toMatchObject({ reason: 'not_a_string' });
  });

  test.each<ScryptParams>([
    { ln: 0, r: 8, p: 1 },
    { ln: 21, r: 8, p: 1 },
    { ln: 14.5, r: 8, p: 1 },
    { ln: 10, r: 0, p: 1 },
    { ln: 10, r: 33, p: 1 },
    { ln: 10, r: 8, p: 0 },
    { ln: 10, r: 8, p: 17 },
    { ln: 20, r: 8, p: 1 },
  ])('refuses unusable parameters %j', async (params) => {
    await expect(hashPassword('pw', params)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('verifyPassword', () => {
  let stored: string;
  beforeAll(async () => {
    stored = await hashPassword('s3cret-pässword', FAST);
  });

  test('accepts the right password, rejects a wrong one', async () => {
    expect(await verifyPassword('s3cret-pässword', stored)).toBe(true);
    expect(await verifyPasswordDetailed('s3cret-pässword', stored)).toEqual({ ok: true });
    expect(await verifyPassword('s3cret-password', stored)).toBe(false);
    expect(await verifyPasswordDetailed('wrong', stored)).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('a wrong password of the same length fails, and the comparison is timingSafeEqual', async () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      const same = 's3cret-pässworx';
      expect(same.length).toBe('s3cret-pässword'.length);
      expect(await verifyPasswordDetailed(same, stored)).toEqual({ ok: false, reason: 'mismatch' });
      expect(await verifyPassword('s3cret-pässword', stored)).toBe(true);
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [a, b] of spy.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
    } finally {
      spy.mockRestore();
    }
  });

  test('a tampered hash, salt or parameter fails as a mismatch', async () => {
    const f = fields(stored);
    const prefix = `$scrypt$ln=${f.ln},r=${f.r},p=${f.p}$`;
    for (const i of [0, 10, f.hash.length - 2]) {
      const tampered = `${prefix}${f.salt}$${flipChar(f.hash, i)}`;
      expect(await verifyPasswordDetailed('s3cret-pässword', tampered)).toEqual({ ok: false, reason: 'mismatch' });
    }
    expect(await verifyPassword('s3cret-pässword', `${prefix}${flipChar(f.salt, 3)}$${f.hash}`)).toBe(false);
    expect(await verifyPassword('s3cret-pässword', `$scrypt$ln=5,r=8,p=1$${f.salt}$${f.hash}`)).toBe(false);
    expect(await verifyPassword('s3cret-pässword', `$scrypt$ln=4,r=8,p=2$${f.salt}$${f.hash}`)).toBe(false);
    // A truncated (shorter but still plausible) hash derives at that length and still mismatches.
    const short = Buffer.from(f.hash, 'base64').subarray(0, 24).toString('base64').replace(/=+$/, '');
    expect(await verifyPasswordDetailed('s3cret-pässword', `${prefix}${f.salt}$${flipChar(short, 0)}`)).toEqual({ ok: false, reason: 'mismatch' });
  });

  test.each<[string, string]>([
    ['', 'malformed_hash'],
    ['plaintext', 'malformed_hash'],
    ['$scrypt$', 'malformed_hash'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA', 'malformed_hash'],
    ['$scrypt$ln=4,r=8$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'malformed_hash'],
    ['$scrypt$ln=04,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'malformed_hash'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'malformed_hash'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdB$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'malformed_hash'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'malformed_hash'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA', 'malformed_hash'],
    ['$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g\n', 'malformed_hash'],
    ['$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'unsupported_params'],
    ['$scrypt$ln=20,r=32,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'unsupported_params'],
    ['$scrypt$ln=4,r=8,p=0$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'unsupported_params'],
    ['$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', 'unsupported_algorithm'],
    ['$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG', 'unsupported_algorithm'],
  ])('an unusable stored hash %j fails with %s, never throws', async (bad, reason) => {
    expect(await verifyPasswordDetailed('anything', bad)).toEqual({ ok: false, reason });
    expect(await verifyPassword('anything', bad)).toBe(false);
  });

  test('non-string stored values fail without throwing', async () => {
    for (const bad of [undefined, null, 42, {}] as unknown as string[]) {
      expect(await verifyPasswordDetailed('anything', bad)).toEqual({ ok: false, reason: 'malformed_hash' });
    }
  });

  test('empty or over-long candidate passwords are refused without hashing', async () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(await verifyPasswordDetailed('', stored)).toEqual({ ok: false, reason: 'invalid_password' });
      expect(await verifyPasswordDetailed('x'.repeat(MAX_PASSWORD_BYTES + 1), stored)).toEqual({ ok: false, reason: 'invalid_password' });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('needsRehash', () => {
  test('round trip: a hash made with params does not need rehashing with the same params', async () => {
    for (const params of [FAST, { ln: 5, r: 4, p: 2 }]) {
      const stored = await hashPassword('pw', params);
      expect(needsRehash(stored, params)).toBe(false);
      expect(await verifyPassword('pw', stored)).toBe(true);
    }
  });

  test('any parameter change, in either direction, asks for a rehash', async () => {
    const stored = await hashPassword('pw', FAST);
    expect(needsRehash(stored, { ...FAST, ln: 5 })).toBe(true);
    expect(needsRehash(stored, { ...FAST, ln: 3 })).toBe(true);
    expect(needsRehash(stored, { ...FAST, r: 4 })).toBe(true);
    expect(needsRehash(stored, { ...FAST, p: 2 })).toBe(true);
    expect(needsRehash(stored)).toBe(true); // against the defaults
  });

  test('a different salt or key length, or an unreadable hash, asks for a rehash', async () => {
    const f = fields(await hashPassword('pw', FAST));
    const short = Buffer.from(f.hash, 'base64').subarray(0, 24).toString('base64');
    expect(needsRehash(`$scrypt$ln=4,r=8,p=1$${f.salt}$${short}`, FAST)).toBe(true);
    expect(needsRehash(`$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$${f.hash}`, FAST)).toBe(true);
    expect(needsRehash('$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', FAST)).toBe(true);
    expect(needsRehash('garbage', FAST)).toBe(true);
  });
});
