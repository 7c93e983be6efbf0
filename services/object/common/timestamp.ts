/**
 * Swift's timestamps: the clock value every replica compares to decide which write wins.
 *
 * A timestamp is seconds since the epoch with 10 µs precision (five decimals), plus an optional
 * *offset*: a counter that orders two events carrying the same client time (Swift uses it when a
 * server must write something "just after" a given timestamp without inventing a later clock
 * value). Two text forms exist:
 *
 * - **normal** `1700000000.12345`: fixed width (10 + 1 + 5 characters, zero-padded), so normal
 *   timestamps sort as strings; this is what `X-Timestamp` carries and clients see.
 * - **internal** `1700000000.12345_000000000000000a`: the normal form followed by the offset as 16
 *   hex digits, only when the offset is non-zero. Internal strings also sort correctly, and a
 *   timestamp with offset 0 has identical normal and internal forms (backwards compatible). File
 *   names on disk use the internal form.
 *
 * Values are kept as integers (units of 10 µs, and a bigint offset since it may use all 64 bits)
 * so that parsing, comparing and formatting never go through binary floating point.
 */
import { TimestampError } from './timestamp-error';

/** Ticks per second: the normal form has five decimals. */
const TICKS_PER_SECOND = 100_000;
/** Swift refuses timestamps from year 2286 on: the normal form would need an 11th integer digit. */
const MAX_TICKS = 10_000_000_000 * TICKS_PER_SECOND;
const MAX_OFFSET = (1n << 64n) - 1n;
const TEXT = /^(\d*)(?:\.(\d*))?(?:_([0-9a-fA-F]{1,16}))?$/;

export class Timestamp {
  private constructor(
    /** Time in units of 10 µs since the epoch. */
    readonly ticks: number,
    /** Tie-breaker between equal times; 0 for every timestamp a client sends. */
    readonly offset: bigint,
  ) {}

  /**
   * Parses the normal or internal form, or any plain decimal (`1700000000`, `1700000000.5`,
   * `1700000000.1234567`; more than five decimals are rounded half-up, as Swift rounds floats).
   * Throws TimestampError for anything else, negative values, and values from year 2286 on.
   */
  static parse(text: string): Timestamp {
    const m = TEXT.exec(text);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new TimestampError(`not a timestamp: ${JSON.stringify(text.slice(0, 64))}`);
    const whole = m[1] === '' ? 0 : Number(m[1]);
    const frac = m[2] ?? '';
    let ticks = whole * TICKS_PER_SECOND + Number(frac.slice(0, 5).padEnd(5, '0'));
    if (frac.length > 5 && frac.charCodeAt(5) >= 0x35 /* '5' */) ticks += 1;
    if (!Number.isSafeInteger(ticks) || ticks >= MAX_TICKS) throw new TimestampError(`timestamp too large: ${text.slice(0, 64)}`);
    const offset = m[3] ? BigInt(`0x${m[3]}`) : 0n;
    return new Timestamp(ticks, offset);
  }

  /** parse(), or undefined instead of an exception (for optional headers). */
  static tryParse(text: string | undefined): Timestamp | undefined {
    if (text === undefined) return undefined;
    try {
      return Timestamp.parse(text);
    } catch {
      return undefined;
    }
  }

  /** From milliseconds since the epoch (a clock reading), rounded to the nearest 10 µs. */
  static fromMillis(ms: number, offset = 0n): Timestamp {
    const ticks = Math.round(ms * (TICKS_PER_SECOND / 1000));
    if (!Number.isFinite(ticks) || ticks < 0 || ticks >= MAX_TICKS) throw new TimestampError(`time out of range: ${ms} ms`);
    return Timestamp.of(ticks, offset);
  }

  /** Now, from an injectable clock (milliseconds since the epoch). */
  static now(clock: () => number = Date.now): Timestamp {
    return Timestamp.fromMillis(clock());
  }

  private static of(ticks: number, offset: bigint): Timestamp {
    if (offset < 0n || offset > MAX_OFFSET) throw new TimestampError(`offset out of range: ${offset}`);
    return new Timestamp(ticks, offset);
  }

  /** The same time with `delta` added to the offset: sorts after this one but before any later time. */
  withOffset(delta: bigint): Timestamp {
    return Timestamp.of(this.ticks, this.offset + delta);
  }

  /** `1700000000.12345`: what X-Timestamp carries and clients see (the offset is not shown). */
  get normal(): string {
    const whole = Math.floor(this.ticks / TICKS_PER_SECOND);
    const frac = this.ticks % TICKS_PER_SECOND;
    return `${String(whole).padStart(10, '0')}.${String(frac).padStart(5, '0')}`;
  }

  /** The normal form, plus `_<16 hex digits>` when the offset is non-zero; used in file names. */
  get internal(): string {
    return this.offset === 0n ? this.normal : `${this.normal}_${this.offset.toString(16).padStart(16, '0')}`;
  }

  /** Seconds since the epoch (loses the offset; for display and date arithmetic only). */
  get seconds(): number {
    return this.ticks / TICKS_PER_SECOND;
  }

  /**
   * Whole seconds, rounded up: HTTP dates have second precision, and rounding up makes
   * `If-Modified-Since: <Last-Modified we sent>` answer 304 (Swift does the same).
   */
  get lastModifiedSeconds(): number {
    return Math.ceil(this.ticks / TICKS_PER_SECOND);
  }

  compare(other: Timestamp): -1 | 0 | 1 {
    if (this.ticks !== other.ticks) return this.ticks < other.ticks ? -1 : 1;
    if (this.offset !== other.offset) return this.offset < other.offset ? -1 : 1;
    return 0;
  }

  equals(other: Timestamp): boolean {
    return this.compare(other) === 0;
  }

  isNewerThan(other: Timestamp): boolean {
    return this.compare(other) > 0;
  }

  toString(): string {
    return this.internal;
  }

  toJSON(): string {
    return this.internal;
  }
}

/** The newer of two timestamps (either may be absent). */
export function newest(a: Timestamp | undefined, b: Timestamp | undefined): Timestamp | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.isNewerThan(a) ? b : a;
}
