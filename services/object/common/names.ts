/**
 * Name rules for accounts, containers and objects (Swift's constraints), and percent-decoding of
 * request path segments into names.
 *
 * Limits are in UTF-8 bytes, as Swift counts them. Names must be valid UTF-8 without NUL (a NUL
 * would truncate names in C libraries and in the listing databases of other tools). Account and
 * container names are single path segments, so they cannot contain '/'; object names may (that is
 * how pseudo-directories work).
 */

export const MAX_ACCOUNT_NAME_LENGTH = 256;
export const MAX_CONTAINER_NAME_LENGTH = 256;
export const MAX_OBJECT_NAME_LENGTH = 1024;

/** A problem with a name, or undefined when the name is valid. */
export type NameProblem = string | undefined;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a percent-encoded path segment (or rest of path) into a string, requiring the bytes to
 * be valid UTF-8. Returns undefined for malformed escapes or invalid UTF-8.
 */
export function decodePathPart(raw: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Node hands over the request target as latin1; a raw byte >= 0x80 arrives as one char.
      if (c > 0xff) return undefined;
      bytes.push(c);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

function common(kind: string, name: string, max: number): NameProblem {
  if (name.length === 0) return `${kind} name is empty`;
  if (name.includes('\u0000')) return `${kind} name contains NUL`;
  // A lone surrogate cannot be encoded as UTF-8 (it would become U+FFFD and change the name).
  if (Buffer.from(name, 'utf8').toString('utf8') !== name) return `${kind} name is not valid UTF-8`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > max) return `${kind} name length of ${bytes} bytes is longer than ${max}`;
  return undefined;
}

export function accountNameProblem(name: string): NameProblem {
  return common('account', name, MAX_ACCOUNT_NAME_LENGTH) ?? (name.includes('/') ? "account name contains '/'" : undefined);
}

export function containerNameProblem(name: string): NameProblem {
  return common('container', name, MAX_CONTAINER_NAME_LENGTH) ?? (name.includes('/') ? "container name contains '/'" : undefined);
}

export function objectNameProblem(name: string): NameProblem {
  return common('object', name, MAX_OBJECT_NAME_LENGTH);
}

/**
 * A device is a directory under the storage server's devices root, so its name must be one safe
 * path component (no separators, not '.' or '..').
 */
export function deviceNameProblem(name: string): NameProblem {
  return /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/.test(name) ? undefined : `invalid device name ${JSON.stringify(name.slice(0, 80))}`;
}

/** A partition number as the ring assigns them (decimal, no sign, no leading junk). */
export function partitionProblem(text: string): NameProblem {
  return /^\d{1,10}$/.test(text) ? undefined : `invalid partition ${JSON.stringify(text.slice(0, 80))}`;
}
