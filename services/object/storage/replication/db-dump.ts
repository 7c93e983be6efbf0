/**
 * Reads container and account databases for replication, straight from the device's LevelDB
 * (keys as in docs/object-storage.md: `c/<hash>/stat`, `c/<hash>/o/<name>`, `a/<hash>/stat`,
 * `a/<hash>/c/<name>`). Reads need no lock: each change is one batch, so a read sees a row and
 * its record either before or after it.
 */
import type { Level } from 'level';
import { DbDigest, type DigestRecord } from './db-digest';

type Db = Level<string, string>;

export type DbKind = 'container' | 'account';

/**
 * A database by its hash (the account's or container's hash_path, the same on every server of
 * the cluster): the storage server does not know the hash secret, and needs no names to read.
 */
export interface DbRef {
  kind: DbKind;
  hash: string;
}

export interface DbSummary extends DbRef {
  account: string;
  /** For kind 'container'. */
  container?: string;
  digest: string;
}

export interface DbPage {
  /** The record (container or account stat) as stored. */
  record: Record<string, unknown>;
  /** Rows as stored, each with its name. */
  rows: Record<string, unknown>[];
  /** Set when more rows follow: pass it as `marker` for the next page. */
  next?: string;
}

const PREFIX: Record<DbKind, { letter: string; rows: string }> = { container: { letter: 'c', rows: 'o' }, account: { letter: 'a', rows: 'c' } };
const KEY = /^([ac])\/([0-9a-f]{32})\/(stat|[oc]\/(.*))$/s;

/** Just past every key under `rowBase` (which ends in '/'; '0' follows '/' in byte order). */
function rowsEnd(rowBase: string): string {
  return `${rowBase.slice(0, -1)}0`;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function digestRecord(rec: Record<string, unknown>): DigestRecord {
  return {
    putTimestamp: String(rec.putTimestamp ?? ''),
    deleteTimestamp: String(rec.deleteTimestamp ?? ''),
    metadata: (rec.metadata ?? {}) as DigestRecord['metadata'],
  };
}

/** Every database on the device, with its digest, in one ordered scan (rows sort before `stat`). */
export async function listDbs(db: Db): Promise<DbSummary[]> {
  const out: DbSummary[] = [];
  let current = '';
  let digest = new DbDigest();
  for await (const [key, value] of db.iterator({ gte: 'a/', lt: 'd' })) {
    const m = KEY.exec(key);
    if (!m || (m[1] === 'a' && m[3].startsWith('o/')) || (m[1] === 'c' && m[3].startsWith('c/'))) continue;
    const id = `${m[1]}/${m[2]}`;
    if (id !== current) {
      current = id;
      digest = new DbDigest();
    }
    if (m[3] !== 'stat') {
      digest.row(m[4], parseJson(value) ?? value);
      continue;
    }
    const rec = parseJson(value);
    if (!rec || typeof rec.account !== 'string') continue;
    if (m[1] === 'c') {
      if (typeof rec.container !== 'string') continue;
      out.push({ kind: 'container', hash: m[2], account: rec.account, container: rec.container, digest: digest.finish(digestRecord(rec)) });
    } else out.push({ kind: 'account', hash: m[2], account: rec.account, digest: digest.finish(digestRecord(rec)) });
  }
  return out;
}

/** The digest of one database, or undefined when the device does not hold it. */
export async function dbDigest(db: Db, ref: DbRef): Promise<string | undefined> {
  const { letter, rows } = PREFIX[ref.kind];
  const base = `${letter}/${ref.hash}/`;
  const raw = await db.get(`${base}stat`);
  const rec = raw === undefined ? undefined : parseJson(raw);
  if (!rec) return undefined;
  const digest = new DbDigest();
  const rowBase = `${base}${rows}/`;
  for await (const [key, value] of db.iterator({ gte: rowBase, lt: rowsEnd(rowBase) })) digest.row(key.slice(rowBase.length), parseJson(value) ?? value);
  return digest.finish(digestRecord(rec));
}

/** One page of a database: its record and up to `limit` rows after `marker`. */
export async function dumpDb(db: Db, ref: DbRef, marker: string | undefined, limit: number): Promise<DbPage | undefined> {
  const { letter, rows: rowLetter } = PREFIX[ref.kind];
  const base = `${letter}/${ref.hash}/`;
  const raw = await db.get(`${base}stat`);
  const record = raw === undefined ? undefined : parseJson(raw);
  if (!record) return undefined;
  const rowBase = `${base}${rowLetter}/`;
  const rows: Record<string, unknown>[] = [];
  let next: string | undefined;
  const range = marker === undefined ? { gte: rowBase } : { gt: rowBase + marker };
  for await (const [key, value] of db.iterator({ ...range, lt: rowsEnd(rowBase), limit: limit + 1 })) {
    const name = key.slice(rowBase.length);
    if (rows.length === limit) {
      next = rows[rows.length - 1].name as string;
      break;
    }
    rows.push({ ...(parseJson(value) ?? {}), name });
  }
  return next === undefined ? { record, rows } : { record, rows, next };
}

/**
 * Deletes a handed-off database (record and rows, one batch) if its digest is still `expected`:
 * anything written since the replicator read it makes the digests differ, and the database stays
 * for the next pass. (The check and the batch are not under the store's lock, which it does not
 * share; the window is one LevelDB read long, on a handoff that only gets writes while primaries
 * are down.)
 */
export async function dropDbIfUnchanged(db: Db, ref: DbRef, expected: string): Promise<boolean> {
  if ((await dbDigest(db, ref)) !== expected) return false;
  const base = `${PREFIX[ref.kind].letter}/${ref.hash}/`;
  const keys: string[] = [];
  for await (const key of db.keys({ gte: base, lt: rowsEnd(base) })) keys.push(key);
  await db.batch(keys.map((key) => ({ type: 'del' as const, key })));
  return true;
}
