/**
 * Where a name lives: the MD5 of "/account[/container[/object]]" wrapped in the cluster's secret
 * prefix and suffix (Swift's swift_hash_path_prefix/suffix), whose top bits are the partition.
 *
 * The prefix/suffix are set once per cluster and must never change (every object would move), and
 * they keep outsiders from crafting names that pile onto one partition. Every server of a cluster
 * must use the same values, so they come from cluster configuration, not from the ring file.
 */
import { hashPath as hashPathHex } from '../common/hash-path';
import { RingError } from './ring-error';

export interface HashPathConfig {
  readonly prefix: string;
  readonly suffix: string;
}

export function validateHashPathConfig(cfg: HashPathConfig): void {
  if (typeof cfg.prefix !== 'string' || typeof cfg.suffix !== 'string' || (cfg.prefix === '' && cfg.suffix === '')) {
    throw new RingError('INVALID_ARGUMENT', 'hash path: set a prefix or a suffix (a per-cluster secret)');
  }
}

/** The 16-byte MD5 for a path; an object needs a container, and names may not be empty. */
export function hashPath(cfg: HashPathConfig, account: string, container?: string, object?: string): Buffer {
  if (!account) throw new RingError('INVALID_ARGUMENT', 'account name is required');
  if (object !== undefined && container === undefined) throw new RingError('INVALID_ARGUMENT', 'an object needs a container');
  if (container === '' || object === '') throw new RingError('INVALID_ARGUMENT', 'container and object names may not be empty');
  // One implementation of Swift's rule (services/object/common), here as the raw digest.
  return Buffer.from(hashPathHex(cfg.prefix, cfg.suffix, account, container, object), 'hex');
}

/** The partition of a hash: its first 32 bits, shifted down to partPower bits. */
export function partitionOfHash(digest: Uint8Array, partPower: number): number {
  if (partPower === 0) return 0; // a shift by 32 is a shift by 0 in JavaScript
  const top = ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
  return top >>> (32 - partPower);
}
