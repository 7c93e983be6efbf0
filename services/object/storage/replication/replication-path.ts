/**
 * Paths of the object replication protocol (requests carry `X-Backend-Storage-Layer:
 * replication`; see replication-routes.ts for the verbs):
 *
 * - `/<device>/<partition>` and `/<device>/<partition>/<suffix>-<suffix>...`: a partition, with
 *   suffixes to recalculate or list (Swift's REPLICATE path);
 * - `/<device>/<partition>/<suffix>/<hash>`: one object's hash directory.
 *
 * Pure, so every malformed form is unit-tested.
 */
import { deviceNameProblem, partitionProblem } from '../../common/names';

const SUFFIX = /^[0-9a-f]{3}$/;
const HASH = /^[0-9a-f]{32}$/;

export type ReplicationPath =
  | { kind: 'partition'; device: string; partition: string; suffixes: string[] }
  | { kind: 'hash'; device: string; partition: string; suffix: string; hash: string };

export type ReplicationPathResult = { ok: true; path: ReplicationPath } | { ok: false; problem: string };

export function parseReplicationPath(url: string): ReplicationPathResult {
  const q = url.indexOf('?');
  const p = q >= 0 ? url.slice(0, q) : url;
  if (!p.startsWith('/')) return { ok: false, problem: 'path must start with /' };
  const parts = p.slice(1).split('/');
  if (parts.length < 2 || parts.length > 4) return { ok: false, problem: 'path must be /<device>/<partition>[/<suffix>-<suffix>...] or /<device>/<partition>/<suffix>/<hash>' };
  const [device, partition] = parts;
  const problem = deviceNameProblem(device) ?? partitionProblem(partition);
  if (problem) return { ok: false, problem };
  if (parts.length === 2) return { ok: true, path: { kind: 'partition', device, partition, suffixes: [] } };
  if (parts.length === 3) {
    const suffixes = parts[2] === '' ? [] : parts[2].split('-');
    const bad = suffixes.find((s) => !SUFFIX.test(s));
    if (bad !== undefined) return { ok: false, problem: `invalid suffix ${JSON.stringify(bad.slice(0, 40))}` };
    return { ok: true, path: { kind: 'partition', device, partition, suffixes: [...new Set(suffixes)] } };
  }
  const [, , suffix, hash] = parts;
  if (!SUFFIX.test(suffix)) return { ok: false, problem: `invalid suffix ${JSON.stringify(suffix.slice(0, 40))}` };
  if (!HASH.test(hash)) return { ok: false, problem: `invalid hash ${JSON.stringify(hash.slice(0, 40))}` };
  if (!hash.endsWith(suffix)) return { ok: false, problem: `hash ${hash} is not in suffix ${suffix}` };
  return { ok: true, path: { kind: 'hash', device, partition, suffix, hash } };
}

/** The path of a partition request (suffixes joined as Swift does: `abc-def`). */
export function partitionRequestPath(device: string, partition: string | number, suffixes: readonly string[] = []): string {
  const base = `/${encodeURIComponent(device)}/${partition}`;
  return suffixes.length > 0 ? `${base}/${suffixes.join('-')}` : base;
}

export function hashRequestPath(device: string, partition: string | number, hash: string): string {
  return `/${encodeURIComponent(device)}/${partition}/${hash.slice(-3)}/${hash}`;
}
