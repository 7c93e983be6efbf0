/**
 * Password hashing with scrypt (memory-hard, in Node's crypto, so no native dependency), stored in
 * the PHC-style string passlib also uses:
 *
 *   $scrypt$ln=15,r=8,p=1$<salt>$<hash>        N = 2^ln; salt and hash in unpadded base64
 *
 * The parameters travel with each hash, so raising the defaults later only needs `needsRehash`
 * at the next successful login; old hashes keep verifying.
 *
 * Rules this module keeps:
 *  - Passwords never appear in errors, results or logs (this module logs nothing).
 *  - Verification never throws: a hash it cannot use is a failed verification with a reason, so a
 *    corrupt row cannot turn a login into a 500 or an unexpected success.
 *  - Parameters read from a stored hash are bounded before use, so a tampered row cannot make a
 *    login allocate gigabytes.
 *  - The comparison is constant-time (crypto.timingSafeEqual) over equal-length buffers.
 *
 * scrypt runs on libuv's thread pool (async), so hashing does not block the event loop; each
 * running derivation holds 128 * N * r bytes (32 MiB at the defaults).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelism (run sequentially by Node, so it multiplies time, not memory). */
  p: number;
}

/**
 * ~105 ms per hash on the idle 2-vCPU development VM (Node 20), 32 MiB per derivation: the cost
 * of one login, and about 10 guesses per second per core for anyone holding the hashes. (ln=14
 * halves both; raise ln as hardware gets faster, needsRehash upgrades users as they log in.)
 */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 1 });

/** Bytes, UTF-8. Longer inputs are refused so a request cannot buy unbounded hashing work. */
export const MAX_PASSWORD_BYTES = 1024;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** Bounds for parameters from either callers or stored hashes (see header). */
const LIMITS = { ln: [1, 20], r: [1, 32], p: [1, 16], saltBytes: [8, 64], keyBytes: [16, 64] } as const;
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

export type InvalidPasswordReason = 'empty' | 'too_long' | 'not_a_string';

/** Thrown by hashPassword for a password Weft refuses to store. Carries no password text. */
export class InvalidPasswordError extends Error {
  constructor(readonly reason: InvalidPasswordReason) {
    super(
      reason === 'empty'
        ? 'password must not be empty'
        : reason === 'too_long'
          ? `password must be at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`
          : 'password must be a string',
    );
    this.name = 'InvalidPasswordError';
  }
}

export type VerifyFailure =
  /** Well-formed hash, wrong password. */
  | 'mismatch'
  /** Empty, too long or not a string: refused without hashing. */
  | 'invalid_password'
  /** A `$<id>$...` hash for some other algorithm (bcrypt, argon2, ...). */
  | 'unsupported_algorithm'
  /** Not a hash string this module could have written. */
  | 'malformed_hash'
  /** A scrypt hash whose parameters are outside the bounds above. */
  | 'unsupported_params'
  /** scrypt itself failed (e.g. memory); should not happen within the bounds. */
  | 'derivation_failed';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** Hashes a password with a fresh random salt. Throws InvalidPasswordError or RangeError (bad params). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const invalid = passwordProblem(password);
  if (invalid !== undefined) throw new InvalidPasswordError(invalid);
  const paramProblem = checkParams(params);
  if (paramProblem !== undefined) throw new RangeError(`invalid scrypt parameters: ${paramProblem}`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

/**
 * True only when `password` matches `stored`. Deliberately a boolean, not a result object: an
 * object is always truthy, and `if (await verify(...))` must not be a way to let everyone in.
 * Use verifyPasswordDetailed when the reason for a failure matters (logging a corrupt row).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  return (await verifyPasswordDetailed(password, stored)).ok;
}

/** verifyPassword with the reason for a failure. Never throws. */
export async function verifyPasswordDetailed(password: string, stored: string): Promise<VerifyResult> {
  if (passwordProblem(password) !== undefined) return { ok: false, reason: 'invalid_password' };
  const parsed = parseHash(stored);
  if (!('params' in parsed)) return { ok: false, reason: parsed.failure };
  let derived: Buffer;
  try {
    derived = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  } catch {
    return { ok: false, reason: 'derivation_failed' };
  }
  // Equal lengths by construction (derived at the stored hash's length), as timingSafeEqual needs.
  return timingSafeEqual(derived, parsed.hash) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/**
 * True when `stored` should be replaced by a fresh hash with `params` (call after a successful
 * verify, while the plaintext is at hand): different parameters, salt or key length, or a hash
 * this module cannot read at all.
 */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parseHash(stored);
  if (!('params' in parsed)) return true;
  const p = parsed.params;
  return p.ln !== params.ln || p.r !== params.r || p.p !== params.p || parsed.salt.length !== SALT_BYTES || parsed.hash.length !== KEY_BYTES;
}

function passwordProblem(password: unknown): InvalidPasswordReason | undefined {
  if (typeof password !== 'string') return 'not_a_string';
  if (password.length === 0) return 'empty';
  // length is UTF-16 units; each is at most 3 UTF-8 bytes, so only long strings need counting.
  if (password.length * 3 > MAX_PASSWORD_BYTES && Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return 'too_long';
  return undefined;
}

function checkParams(params: ScryptParams): string | undefined {
  for (const key of ['ln', 'r', 'p'] as const) {
    const v = params[key];
    const [lo, hi] = LIMITS[key];
    if (!Number.isInteger(v) || v < lo || v > hi) return `${key} must be an integer in [${lo}, ${hi}]`;
  }
  if (memory(params) > MAX_MEMORY_BYTES) return `128 * 2^ln * r must be at most ${MAX_MEMORY_BYTES} bytes`;
  return undefined;
}

function memory(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

const HASH_RE = /^\$scrypt\$ln=(0|[1-9]\d{0,2}),r=(0|[1-9]\d{0,2}),p=(0|[1-9]\d{0,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const OTHER_ALGORITHM_RE = /^\$[a-z0-9-]+\$/;

function parseHash(stored: unknown): ParsedHash | { failure: VerifyFailure } {
  if (typeof stored !== 'string') return { failure: 'malformed_hash' };
  const m = HASH_RE.exec(stored);
  if (m === null) {
    const other = !stored.startsWith('$scrypt$') && OTHER_ALGORITHM_RE.test(stored);
    return { failure: other ? 'unsupported_algorithm' : 'malformed_hash' };
  }
  const params: ScryptParams = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (checkParams(params) !== undefined) return { failure: 'unsupported_params' };
  const salt = unb64(m[4]);
  const hash = unb64(m[5]);
  if (salt === undefined || hash === undefined) return { failure: 'malformed_hash' };
  if (salt.length < LIMITS.saltBytes[0] || salt.length > LIMITS.saltBytes[1]) return { failure: 'malformed_hash' };
  if (hash.length < LIMITS.keyBytes[0] || hash.length > LIMITS.keyBytes[1]) return { failure: 'malformed_hash' };
  return { params, salt, hash };
}

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  // OpenSSL's estimate is slightly above 128*N*r (it adds p-dependent scratch), so give headroom.
  const maxmem = 2 * memory(params) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, { N, r: params.r, p: params.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/** Strict decode: Buffer.from silently skips junk, so require the canonical encoding back. */
function unb64(text: string): Buffer | undefined {
  const buf = Buffer.from(text, 'base64');
  return b64(buf) === text ? buf : undefined;
}
