/**
 * Where a name lives: Swift's `hash_path`. The MD5 of `prefix + "/account[/container[/object]]" +
 * suffix` (names as UTF-8) decides an object's partition (top bits, the ring's rule) and its
 * directory on disk (`<suffix dir = last 3 hex digits>/<hash>`).
 *
 * The prefix and suffix are a cluster-wide secret set once at install time: without them anyone
 * who can choose names could aim many objects at one partition. Changing them moves every object,
 * so they must never change after data is stored. The hex digest must stay byte-identical to
 * Swift's (golden tests pin it), since the ring and the on-disk layout depend on it.
 */
import { createHash } from 'node:crypto';

export function hashPath(prefix: string, suffix: string, account: string, container?: string, object?: string): string {
  if (object !== undefined && container === undefined) throw new Error('hashPath: an object name needs a container name');
  const parts = [account];
  if (container !== undefined) parts.push(container);
  if (object !== undefined) parts.push(object);
  return createHash('md5').update(`${prefix}/${parts.join('/')}${suffix}`, 'utf8').digest('hex');
}

/** The suffix directory of a hash: its last three hex digits (4,096 per partition at most). */
export function hashSuffix(hash: string): string {
  return hash.slice(-3);
}
