/**
 * Paths of the replication layer's database requests (beside replication-path.ts's object ones;
 * the second segment is a word, never a partition number, so the two cannot be confused):
 *
 * - `/<device>/accounts`: the account records held on a device (the reaper's scan);
 * - `/<device>/accounts/<account>/containers`: an account's live container rows (`?marker=`);
 * - `/<device>/dbs`: every container and account database on a device, with digests;
 * - `/<device>/dbs/<container|account>/<hash>`: one database (digest, merge);
 * - `/<device>/dbs/<container|account>/<hash>/rows?marker=`: a page of its rows.
 */
import { accountNameProblem, decodePathPart, deviceNameProblem } from '../../common/names';
import type { DbKind, DbRef } from './db-dump';

export type DbPath =
  | { kind: 'accounts'; device: string }
  | { kind: 'account-containers'; device: string; account: string }
  | { kind: 'dbs'; device: string }
  | { kind: 'db'; device: string; ref: DbRef }
  | { kind: 'db-rows'; device: string; ref: DbRef; marker?: string };

export type DbPathResult = { ok: true; path: DbPath } | { ok: false; problem: string } | { ok: false; notDb: true };

export function parseDbPath(url: string): DbPathResult {
  const q = url.indexOf('?');
  const parts = (q >= 0 ? url.slice(0, q) : url).split('/').slice(1);
  if (parts[1] !== 'accounts' && parts[1] !== 'dbs') return { ok: false, notDb: true };
  const device = parts[0];
  const dProblem = deviceNameProblem(device);
  if (dProblem) return { ok: false, problem: dProblem };
  if (parts[1] === 'dbs') return parseDbsPath(device, parts.slice(2), new URLSearchParams(q >= 0 ? url.slice(q + 1) : ''));
  if (parts.length === 2) return { ok: true, path: { kind: 'accounts', device } };
  if (parts.length === 4 && parts[3] === 'containers') {
    const account = decodePathPart(parts[2]);
    if (account === undefined) return { ok: false, problem: 'account is not valid percent-encoded UTF-8' };
    const aProblem = accountNameProblem(account);
    if (aProblem) return { ok: false, problem: aProblem };
    return { ok: true, path: { kind: 'account-containers', device, account } };
  }
  return { ok: false, problem: 'path must be /<device>/accounts[/<account>/containers]' };
}

const HASH = /^[0-9a-f]{32}$/;

function parseDbsPath(device: string, rest: string[], query: URLSearchParams): DbPathResult {
  if (rest.length === 0) return { ok: true, path: { kind: 'dbs', device } };
  const [kind, hash, tail] = rest;
  if ((kind !== 'container' && kind !== 'account') || hash === undefined || !HASH.test(hash) || rest.length > 3 || (rest.length === 3 && tail !== 'rows')) {
    return { ok: false, problem: 'path must be /<device>/dbs[/<container|account>/<hash>[/rows]]' };
  }
  const ref: DbRef = { kind: kind as DbKind, hash };
  if (rest.length === 2) return { ok: true, path: { kind: 'db', device, ref } };
  const marker = query.get('marker') ?? undefined;
  return { ok: true, path: marker === undefined ? { kind: 'db-rows', device, ref } : { kind: 'db-rows', device, ref, marker } };
}

/** `/<device>/dbs[/<kind>/<hash>[/rows][?marker=]]` */
export function dbRequestPath(device: string, ref?: DbRef, opts: { rows?: boolean; marker?: string } = {}): string {
  const p = `/${encodeURIComponent(device)}/dbs`;
  if (!ref) return p;
  const base = `${p}/${ref.kind}/${ref.hash}${opts.rows ? '/rows' : ''}`;
  return opts.marker !== undefined ? `${base}?marker=${encodeURIComponent(opts.marker)}` : base;
}

export function accountsRequestPath(device: string): string {
  return `/${encodeURIComponent(device)}/accounts`;
}

export function accountContainersRequestPath(device: string, account: string, marker?: string): string {
  const base = `/${encodeURIComponent(device)}/accounts/${encodeURIComponent(account)}/containers`;
  return marker ? `${base}?marker=${encodeURIComponent(marker)}` : base;
}
