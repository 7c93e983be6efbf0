import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RandomBytes } from '../../../../services/identity/tokens/key-repository';

export { prng } from '../../seeded-random';

/**
 * Deterministic stand-in for crypto.randomBytes: SHA-256(label, counter) blocks. Distinct labels
 * give unrelated streams, so two repositories in one test get different keys.
 */
export function deterministicRandom(label: string): RandomBytes & { calls: number } {
  let counter = 0;
  const fn = (size: number): Buffer => {
    fn.calls++;
    const out = Buffer.alloc(size);
    for (let off = 0; off < size; off += 32) {
      createHash('sha256').update(`${label}/${counter++}`).digest().copy(out, off);
    }
    return out;
  };
  fn.calls = 0;
  return fn;
}

/** A fresh temp directory per test, removed afterwards. */
export class TmpDirs {
  private readonly dirs: string[] = [];
  make(prefix = 'weft-tokens-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Every string that differs from `s` in exactly one character, drawn from `alphabet`. */
export function* singleCharMutations(s: string, alphabet: string): Generator<string> {
  for (let i = 0; i < s.length; i++) {
    for (const c of alphabet) if (c !== s[i]) yield s.slice(0, i) + c + s.slice(i + 1);
  }
}

export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
