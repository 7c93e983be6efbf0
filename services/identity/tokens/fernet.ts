/**
 * Fernet-style sealed tokens: AES-128-CBC encryption plus HMAC-SHA256 authentication, so a token
 * is opaque to its holder and unforgeable without a key, and any server holding the keys can
 * validate it locally (no store lookup per call).
 *
 * Layout (the Fernet spec, https://github.com/fernet/spec), all big-endian:
 *
 *   0x80 | timestamp (u64 seconds) | IV (16) | ciphertext (16·n, PKCS#7) | HMAC-SHA256 (32)
 *
 * with the HMAC over everything before it, keyed by the first 16 bytes of a 32-byte key; the last
 * 16 bytes are the AES key. The whole is base64url. We emit it without '=' padding (like
 * Keystone, so it is header- and URL-safe as is) and accept correctly padded input too, so a token
 * from any spec implementation opens here.
 *
 * Why the checks run in this order in `open`:
 * - Decoding is strict (alphabet, length, canonical trailing bits). Node's base64 decoder is
 *   lenient: it skips bad characters and ignores the unused low bits of the last character, so
 *   without the canonical check two different strings would open to the same token.
 * - The HMAC is verified before anything is decrypted or unpadded, so no padding or plaintext
 *   oracle exists for forged tokens: every forgery is 'bad-signature', whatever it contains.
 * - Comparison is crypto.timingSafeEqual, so the time taken does not reveal how many leading MAC
 *   bytes a forgery got right.
 * - The TTL, when asked for, is checked only on authentic tokens, so 'expired' means "ours, but
 *   old" and never tells a forger anything.
 *
 * `open` never throws for any string (it is fed untrusted header values); `seal` throws only on
 * programming errors (bad key, IV or time), since its inputs are the issuer's own.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

export const FERNET_VERSION = 0x80;
export const FERNET_KEY_BYTES = 32;
export const FERNET_IV_BYTES = 16;

const BLOCK = 16;
const MAC_BYTES = 32;
const TIMESTAMP_OFFSET = 1;
const IV_OFFSET = TIMESTAMP_OFFSET + 8;
const CIPHERTEXT_OFFSET = IV_OFFSET + FERNET_IV_BYTES;
/** Version, timestamp, IV, one (padding-only) block and the MAC. */
const MIN_TOKEN_BYTES = CIPHERTEXT_OFFSET + BLOCK + MAC_BYTES;

/**
 * Longest token accepted or produced, in characters. Real tokens are a few hundred characters;
 * the bound keeps hostile multi-megabyte header values from costing more than a length check,
 * and `seal` refuses payloads that would exceed it so nothing issued is unopenable.
 */
export const MAX_TOKEN_CHARS = 8192;

/**
 * Clock skew allowed for a token timestamp in the future when a TTL is checked (the Fernet spec's
 * reference implementations use the same 60 s).
 */
export const MAX_CLOCK_SKEW_SECONDS = 60;

/** A 32-byte Fernet key, split once into its two halves. */
export interface FernetKey {
  /** HMAC-SHA256 key: bytes 0-15. */
  readonly signing: Buffer;
  /** AES-128 key: bytes 16-31. */
  readonly encryption: Buffer;
}

export type OpenFailure =
  /** Not a well-formed token: bad alphabet, length or padding characters, or too short. */
  | 'malformed'
  /** Well-formed but no key's HMAC matches: forged, corrupted, or sealed with an unknown key. */
  | 'bad-signature'
  /** The first byte is not 0x80 (a future or foreign format). */
  | 'unsupported-version'
  /** Authentic, but the decrypted PKCS#7 padding is wrong: only a buggy sealer can cause this. */
  | 'bad-padding'
  /** Authentic, but older than the requested TTL (only when ttlSeconds is given). */
  | 'expired'
  /** Authentic, but stamped more than MAX_CLOCK_SKEW_SECONDS ahead (only when ttlSeconds is given). */
  | 'not-yet-valid';

export type OpenResult =
  | {
      ok: true;
      plaintext: Buffer;
      /** Index into the `keys` argument of the key that opened the token. */
      keyIndex: number;
      /** The token's timestamp (seconds since the Unix epoch). */
      timestampSeconds: number;
    }
  | { ok: false; reason: OpenFailure };

export interface OpenOptions {
  /** Current time in seconds since the Unix epoch; used only with ttlSeconds. */
  nowSeconds: number;
  /** When set, tokens stamped more than this many seconds before nowSeconds are 'expired'. */
  ttlSeconds?: number;
}

/** Splits 32 raw bytes into a key. Throws RangeError on any other length. */
export function keyFromBytes(raw: Uint8Array): FernetKey {
  if (raw.length !== FERNET_KEY_BYTES) {
    throw new RangeError(`a Fernet key is ${FERNET_KEY_BYTES} bytes, got ${raw.length}`);
  }
  // Copies, so a caller reusing its buffer cannot change a key in use.
  const bytes = Buffer.from(raw);
  return { signing: bytes.subarray(0, 16), encryption: bytes.subarray(16, 32) };
}

/**
 * Parses the text form of a key (base64url of 32 bytes, with or without '=' padding, surrounding
 * whitespace ignored): the format of Keystone's key files and the Fernet spec's test vectors.
 * Throws RangeError if it is not exactly that.
 */
export function keyFromBase64url(text: string): FernetKey {
  const raw = decodeBase64urlStrict(text.trim());
  if (raw === null) throw new RangeError('a Fernet key must be base64url text');
  return keyFromBytes(raw);
}

/** The text form of a key: base64url with padding (44 characters), as Keystone writes key files. */
export function keyToBase64url(key: FernetKey): string {
  return Buffer.concat([key.signing, key.encryption]).toString('base64url') + '=';
}

/**
 * Seals `plaintext` into a token stamped `nowSeconds`. The IV must be 16 fresh random bytes for
 * every token (it is a parameter so tests can pin it; callers pass crypto.randomBytes(16)).
 * Throws RangeError on a bad IV, a time that is not a non-negative safe integer, or a plaintext
 * too large for MAX_TOKEN_CHARS.
 */
export function seal(plaintext: Uint8Array, key: FernetKey, nowSeconds: number, iv: Uint8Array): string {
  if (iv.length !== FERNET_IV_BYTES) throw new RangeError(`the IV is ${FERNET_IV_BYTES} bytes, got ${iv.length}`);
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0) {
    throw new RangeError(`nowSeconds must be a non-negative integer, got ${nowSeconds}`);
  }
  const paddedLength = (Math.floor(plaintext.length / BLOCK) + 1) * BLOCK;
  if (base64urlLength(CIPHERTEXT_OFFSET + paddedLength + MAC_BYTES) > MAX_TOKEN_CHARS) {
    throw new RangeError(`a ${plaintext.length}-byte plaintext makes a token longer than ${MAX_TOKEN_CHARS} characters`);
  }
  const cipher = createCipheriv('aes-128-cbc', key.encryption, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);

  const header = Buffer.allocUnsafe(CIPHERTEXT_OFFSET);
  header[0] = FERNET_VERSION;
  header.writeBigUInt64BE(BigInt(nowSeconds), TIMESTAMP_OFFSET);
  header.set(iv, IV_OFFSET);
  const signed = Buffer.concat([header, ciphertext]);
  const mac = createHmac('sha256', key.signing).update(signed).digest();
  return Buffer.concat([signed, mac]).toString('base64url');
}

/**
 * Opens a token with the first of `keys` whose HMAC matches (pass the primary first: it opens
 * most tokens, so most calls compute one HMAC). Never throws for any `token` value.
 */
export function open(token: string, keys: readonly FernetKey[], options: OpenOptions): OpenResult {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return fail('malformed');
  const raw = decodeBase64urlStrict(token);
  if (raw === null || raw.length === 0) return fail('malformed');
  if (raw[0] !== FERNET_VERSION) return fail('unsupported-version');
  if (raw.length < MIN_TOKEN_BYTES || (raw.length - CIPHERTEXT_OFFSET - MAC_BYTES) % BLOCK !== 0) {
    return fail('malformed');
  }

  const macOffset = raw.length - MAC_BYTES;
  const signed = raw.subarray(0, macOffset);
  const mac = raw.subarray(macOffset);
  let keyIndex = -1;
  for (let i = 0; i < keys.length; i++) {
    const expected = createHmac('sha256', keys[i].signing).update(signed).digest();
    if (timingSafeEqual(expected, mac)) {
      keyIndex = i;
      break;
    }
  }
  if (keyIndex < 0) return fail('bad-signature');

  const stamp = raw.readBigUInt64BE(TIMESTAMP_OFFSET);
  // Only reachable with a valid MAC, i.e. a sealer of ours stamped an absurd time.
  if (stamp > BigInt(Number.MAX_SAFE_INTEGER)) return fail('malformed');
  const timestampSeconds = Number(stamp);
  if (options.ttlSeconds !== undefined) {
    if (timestampSeconds + options.ttlSeconds < options.nowSeconds) return fail('expired');
    if (timestampSeconds > options.nowSeconds + MAX_CLOCK_SKEW_SECONDS) return fail('not-yet-valid');
  }

  const key = keys[keyIndex];
  const decipher = createDecipheriv('aes-128-cbc', key.encryption, raw.subarray(IV_OFFSET, CIPHERTEXT_OFFSET));
  // Padding is stripped by hand: Node's automatic unpadding reports errors by throwing, and a
  // whole number of blocks is already guaranteed, so update+final cannot throw here.
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(raw.subarray(CIPHERTEXT_OFFSET, macOffset)), decipher.final()]);
  const plaintext = unpad(padded);
  if (plaintext === null) return fail('bad-padding');
  return { ok: true, plaintext, keyIndex, timestampSeconds };
}

function fail(reason: OpenFailure): OpenResult {
  return { ok: false, reason };
}

/** PKCS#7: the last byte n (1..16) says the last n bytes are all n. */
function unpad(padded: Buffer): Buffer | null {
  const n = padded[padded.length - 1];
  if (n < 1 || n > BLOCK || n > padded.length) return null;
  for (let i = padded.length - n; i < padded.length; i++) if (padded[i] !== n) return null;
  return padded.subarray(0, padded.length - n);
}

const BASE64URL_BODY = /^[A-Za-z0-9_-]*$/;

/** Characters of unpadded base64url for n bytes. */
function base64urlLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}

/**
 * Decodes base64url only if `text` is the canonical encoding of some bytes: url-safe alphabet,
 * no whitespace, '=' padding either absent or exactly right, and zero unused trailing bits.
 * Returns null otherwise.
 */
export function decodeBase64urlStrict(text: string): Buffer | null {
  let body = text;
  const firstPad = text.indexOf('=');
  if (firstPad >= 0) {
    // Padded form: the whole string is a multiple of 4 and only its last 1-2 characters are '='.
    body = text.slice(0, firstPad);
    const padding = text.length - firstPad;
    if (text.length % 4 !== 0 || padding > 2 || text.slice(firstPad) !== '='.repeat(padding)) return null;
  }
  if (body.length % 4 === 1 || !BASE64URL_BODY.test(body)) return null;
  const bytes = Buffer.from(body, 'base64url');
  return bytes.toString('base64url') === body ? bytes : null;
}
