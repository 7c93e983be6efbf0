/**
 * Port MAC address generation and normalization.
 *
 * Randomness is injected so tests and simulations are reproducible. Generated MACs are random,
 * not unique: the caller must check them against existing ports on the network and retry.
 */

/** A uniform random number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/**
 * Where generateMac's random octets come from: a {@link RandomSource}, or ready-made random
 * bytes (e.g. crypto.randomBytes(3)) consumed in order.
 */
export type MacEntropy = RandomSource | Uint8Array;

/** Neutron's default base MAC prefix (locally administered, unicast). */
export const DEFAULT_MAC_PREFIX = 'fa:16:3e';

const MAC_TEXT = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const MULTICAST_BIT = 0x01;
const LOCALLY_ADMINISTERED_BIT = 0x02;
// A prefix like "00:00:00:00:00" yields the all-zero MAC 1 time in 256; redraws avoid it, and
// the bound turns a broken random source (always 0) into an error instead of a hang.
const MAX_DRAWS = 64;

function formatOctets(octets: readonly number[]): string {
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

function parsePrefix(prefix: string): number[] {
  if (prefix === '') return [];
  const parts = prefix.split(/[:-]/);
  if (parts.length > 5 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`MAC prefix '${prefix}' must be 0 to 5 hex octets`);
  }
  const octets = parts.map((p) => parseInt(p, 16));
  if ((octets[0] & MULTICAST_BIT) !== 0) {
    throw new RangeError(`MAC prefix '${prefix}' has the multicast bit set`);
  }
  return octets;
}

function byteReader(entropy: MacEntropy): () => number {
  if (typeof entropy === 'function') {
    return () => {
      const r = entropy();
      if (!(r >= 0 && r < 1)) throw new RangeError(`random source returned ${r}, not a number in [0, 1)`);
      return Math.floor(r * 256);
    };
  }
  let next = 0;
  return () => {
    if (next >= entropy.length) throw new RangeError(`ran out of random bytes after ${entropy.length}`);
    return entropy[next++];
  };
}

/**
 * Generates a unicast MAC: prefix followed by random octets (6 - prefix length of them, more
 * only in the rare redraw of an all-zero result). With an empty prefix the first octet is forced
 * unicast and locally administered, so a random MAC never impersonates a vendor OUI.
 * Throws RangeError on a bad prefix, a random value outside [0, 1), or too few bytes.
 *
 * @param prefix 0 to 5 leading octets, ':' or '-' separated.
 * @param entropy Defaults to Math.random: MACs need to be well spread, not unpredictable.
 */
export function generateMac(prefix: string = DEFAULT_MAC_PREFIX, entropy: MacEntropy = Math.random): string {
  const fixed = parsePrefix(prefix);
  const nextByte = byteReader(entropy);
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const octets = [...fixed];
    while (octets.length < 6) octets.push(nextByte());
    if (fixed.length === 0) {
      octets[0] = (octets[0] & ~MULTICAST_BIT) | LOCALLY_ADMINISTERED_BIT;
    }
    if (octets.some((o) => o !== 0)) return formatOctets(octets);
  }
  throw new RangeError(`could not draw a non-zero MAC with prefix '${prefix}'`);
}

/**
 * Normalizes MAC text ("AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff") to lowercase colon form.
 * Returns null for malformed text, mixed separators, multicast/broadcast and all-zero MACs,
 * none of which a port can own.
 */
export function normalizeMac(text: string): string | null {
  if (!MAC_TEXT.test(text)) return null;
  const octets = text.split(/[:-]/).map((p) => parseInt(p, 16));
  if ((octets[0] & MULTICAST_BIT) !== 0) return null;
  if (octets.every((o) => o === 0)) return null;
  return formatOctets(octets);
}
