/**
 * Merges a page of a peer's container or account database into ours, through the stores' own
 * operations, so every rule (and lock) of the container and account layers applies: the record
 * is created at the peer's PUT timestamp (a no-op when ours is newer), rows merge by timestamp
 * (tombstones included; counts follow), metadata items merge one by one at their own timestamps,
 * and, on the last page, the peer's DELETE is applied (refused while we hold newer live rows).
 * A container's account target (where it reports its counts) is kept: ours when we have one,
 * else the peer's, so a copy created by replication still reports to its account.
 */
import { accountNameProblem, containerNameProblem } from '../../common/names';
import { Timestamp } from '../../common/timestamp';
import type { AccountStore } from '../account/account-store';
import type { ContainerStore } from '../container/container-store';
import type { ObjectRow } from '../container/rows';
import type { UpdateTarget } from '../http/update-target';
import type { DbKind } from './db-dump';
import { SyncFrameError } from './sync-frame';

export interface DbMergeRequest {
  record: Record<string, unknown>;
  rows: Record<string, unknown>[];
  /** The last page: apply metadata and the DELETE now that every row is in. */
  final: boolean;
}

export interface DbMergeStores {
  containers: ContainerStore;
  accounts: AccountStore;
}

export interface DbMergeResult {
  rowsApplied: number;
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new SyncFrameError(`${what} must be a string`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new SyncFrameError(`${what} must be a non-negative integer`);
  return v;
};
const ts = (v: unknown, what: string): Timestamp => {
  const t = Timestamp.tryParse(str(v, what));
  if (!t) throw new SyncFrameError(`${what} is not a timestamp`);
  return t;
};

/** Validates the body of a merge request (SyncFrameError on anything malformed). */
export function parseDbMergeRequest(v: unknown): DbMergeRequest {
  if (typeof v !== 'object' || v === null) throw new SyncFrameError('body must be a JSON object');
  const { record, rows, final } = v as Record<string, unknown>;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new SyncFrameError('record must be an object');
  if (!Array.isArray(rows) || rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) throw new SyncFrameError('rows must be objects');
  return { record: record as Record<string, unknown>, rows: rows as Record<string, unknown>[], final: final === true };
}

function metadataItems(record: Record<string, unknown>): [string, string, Timestamp][] {
  const m = record.metadata;
  if (m === undefined) return [];
  if (typeof m !== 'object' || m === null) throw new SyncFrameError('metadata must be an object');
  return Object.entries(m as Record<string, unknown>).map(([name, item]) => {
    const it = (item ?? {}) as Record<string, unknown>;
    return [name, str(it.value, `metadata ${name}`), ts(it.timestamp, `metadata ${name} timestamp`)];
  });
}

/** The peer's account target when it is well formed; anything else is ignored (it is optional). */
function accountTargetOf(v: unknown): UpdateTarget | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const t = v as Record<string, unknown>;
  if (typeof t.host !== 'string' || typeof t.device !== 'string' || typeof t.partition !== 'string') return undefined;
  if (typeof t.port !== 'number' || !Number.isInteger(t.port) || t.port <= 0 || t.port > 65535) return undefined;
  return { host: t.host, port: t.port, device: t.device, partition: t.partition };
}

/** Names come from the peer's record (the stores derive the database's hash from them). */
export async function mergeDb(stores: DbMergeStores, device: string, kind: DbKind, req: DbMergeRequest): Promise<DbMergeResult> {
  const account = str(req.record.account, 'record account');
  const aProblem = accountNameProblem(account);
  if (aProblem) throw new SyncFrameError(aProblem);
  const put = ts(req.record.putTimestamp, 'putTimestamp');
  const del = req.record.deleteTimestamp ? ts(req.record.deleteTimestamp, 'deleteTimestamp') : undefined;
  const items = metadataItems(req.record);
  let rowsApplied = 0;
  if (kind === 'container') {
    const container = str(req.record.container, 'record container');
    const cProblem = containerNameProblem(container);
    if (cProblem) throw new SyncFrameError(cProblem);
    const cref = { device, account, container };
    const peerTarget = accountTargetOf(req.record.accountTarget);
    const target = peerTarget && !(await stores.containers.record(cref))?.accountTarget ? peerTarget : undefined;
    await stores.containers.putContainer(cref, put, {}, target);
    for (const r of req.rows) {
      const row: ObjectRow = {
        name: str(r.name, 'row name'),
        timestamp: ts(r.timestamp, 'row timestamp').internal,
        size: num(r.size, 'row size'),
        etag: str(r.etag, 'row etag'),
        content_type: str(r.content_type, 'row content_type'),
        deleted: r.deleted === true,
      };
      if ((await stores.containers.updateRow(cref, row)) === 'applied') rowsApplied++;
    }
    if (req.final) {
      for (const [name, value, at] of items) await stores.containers.postContainer(cref, at, { [name]: value });
      if (del) await stores.containers.deleteContainer(cref, del, target);
    }
    return { rowsApplied };
  }
  const aref = { device, account };
  await stores.accounts.putAccount(aref, put, {});
  for (const r of req.rows) {
    const row = {
      name: str(r.name, 'row name'),
      put_timestamp: r.put_timestamp === '' ? '' : ts(r.put_timestamp, 'row put_timestamp').internal,
      delete_timestamp: r.delete_timestamp === '' ? '' : ts(r.delete_timestamp, 'row delete_timestamp').internal,
      object_count: num(r.object_count, 'row object_count'),
      bytes_used: num(r.bytes_used, 'row bytes_used'),
    };
    if ((await stores.accounts.updateContainerRow(aref, row)) === 'applied') rowsApplied++;
  }
  if (req.final) {
    for (const [name, value, at] of items) await stores.accounts.postAccount(aref, at, { [name]: value });
    if (del) await stores.accounts.deleteAccount(aref, del);
  }
  return { rowsApplied };
}
