/**
 * The storage server's side of object replication, for requests carrying
 * `X-Backend-Storage-Layer: replication` (the workers' replicator is the only caller).
 *
 * | request                                            | answer                                          |
 * | -------------------------------------------------- | ----------------------------------------------- |
 * | `POST /<dev>/<part>[/<suf>-<suf>...]`              | Swift's REPLICATE: recalculates the named (and  |
 * |                                                    | invalid) suffixes, 200 JSON `{suffix: hash}`    |
 * | `GET /<dev>/<part>/<suf>-<suf>...`                 | 200 JSON `{suffix: {hash: [live files]}}`       |
 * | `GET /<dev>/<part>/<suf>/<hash>`                   | 200 the live files framed (sync-frame.ts); 404  |
 * | `PUT /<dev>/<part>/<suf>/<hash>` (framed body)     | 201 JSON `{installed}`; 202 when nothing newer  |
 * | `DELETE /<dev>/<part>/<suf>/<hash>` +              | 204 after removing exactly those files (a       |
 * | `X-Backend-Replicated-Files: <name>,<name>`        | handoff's copy once the primaries took it)      |
 * | `GET /<dev>/accounts`                              | 200 JSON account summaries (the reaper's scan)  |
 * | `GET /<dev>/accounts/<account>/containers`         | 200 JSON live container names, `?marker=`,      |
 * |                                                    | deleted accounts included (the reaper's list)   |
 * | `GET /<dev>/dbs`                                   | 200 JSON every container/account DB + digest    |
 * | `GET /<dev>/dbs/<container|account>/<hash>`        | 200 JSON `{digest}`; 404 when not held          |
 * | `GET /<dev>/dbs/<kind>/<hash>/rows?marker=`        | 200 JSON `{record, rows, next?}` (a page)       |
 * | `POST /<dev>/dbs/<kind>/<hash>` JSON               | 200 JSON `{rowsApplied}`: merged (db-merge.ts)  |
 * |  `{record, rows, final}`                           |                                                 |
 * | `DELETE /<dev>/dbs/<kind>/<hash>` +                | 204 dropped (a handoff's copy, once every       |
 * | `X-Backend-Db-Digest: <digest>`                    | primary took it); 409 when it changed since     |
 *
 * Swift names the first verb REPLICATE; Node's HTTP parser accepts only registered methods, so
 * the layer header marks these requests instead. Nothing here follows a name: files travel by
 * hash, exactly as named on disk, so replicas converge to identical listings and suffix hashes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hashDirAccess } from '../replication/hash-dir-access';
import { openHashDir } from '../replication/hash-dir-reader';
import { receiveHashDir } from '../replication/hash-dir-receiver';
import { removeHashFiles } from '../replication/hash-dir-remover';
import { scanAccounts } from '../replication/account-scan';
import { dbDigest, dropDbIfUnchanged, dumpDb, listDbs } from '../replication/db-dump';
import { mergeDb, parseDbMergeRequest } from '../replication/db-merge';
import { parseDbPath, type DbPathResult } from '../replication/db-path';
import { parseReplicationPath } from '../replication/replication-path';
import { listSuffixes } from '../replication/suffix-listing';
import { encodeManifest, SyncFrameError } from '../replication/sync-frame';
import type { AccountStore } from '../account/account-store';
import type { ContainerStore } from '../container/container-store';
import type { HandlerContext } from './handler-context';
import { HttpError } from './http-error';
import { singleHeader } from './request-headers';
import { readBody } from './request-body';
import { sendJson, sendStatus } from './respond';

export const REPLICATION_LAYER = 'replication';

export function isReplicationRequest(req: IncomingMessage): boolean {
  return singleHeader(req, 'x-backend-storage-layer')?.trim().toLowerCase() === REPLICATION_LAYER;
}

/** The other layers' stores (container and account DB replication). */
export interface ReplicationDeps {
  containers: ContainerStore;
  accounts: AccountStore;
}

export async function handleReplication(ctx: HandlerContext, deps: ReplicationDeps): Promise<void> {
  const { req, res } = ctx;
  const method = req.method ?? '';
  ctx.log.layer = REPLICATION_LAYER;
  const db = parseDbPath(req.url ?? '/');
  if (db.ok || !('notDb' in db)) return handleDbRequest(ctx, deps, db);
  const parsed = parseReplicationPath(req.url ?? '/');
  if (!parsed.ok) return sendStatus(res, 400, parsed.problem);
  const p = parsed.path;
  ctx.log.device = p.device;
  if (!(await ctx.store.deviceAvailable(p.device))) return sendStatus(res, 507, `${p.device} is not mounted`);
  if (ctx.expectContinue) res.writeContinue();
  // fsync on: the store's setting is not visible here (see hash-dir-access.ts), and durability wins.
  const access = hashDirAccess(ctx.store, { newId: randomUUID });
  if (p.kind === 'partition') {
    if (method === 'POST') return sendJson(res, 200, await ctx.store.partitionHashes(p.device, p.partition).get(p.suffixes));
    if (method === 'GET') return sendJson(res, 200, await listSuffixes(access, p.device, p.partition, p.suffixes));
    return sendStatus(res, 405, 'Method Not Allowed', { Allow: 'POST, GET' });
  }
  const target = { device: p.device, partition: p.partition, hash: p.hash };
  const dir = access.hashDir(p.device, p.partition, p.hash);
  if (method === 'GET') return sendHashDir(res, dir);
  if (method === 'PUT') {
    try {
      const { installed } = await receiveHashDir(access, target, req);
      ctx.log.installed = installed.length;
      return sendJson(res, installed.length > 0 ? 201 : 202, { installed });
    } catch (err) {
      if (err instanceof SyncFrameError) throw new HttpError(400, err.message);
      throw err;
    }
  }
  if (method === 'DELETE') {
    const files = (singleHeader(req, 'x-backend-replicated-files') ?? '').split(',').map((s) => s.trim()).filter((s) => s);
    if (files.length === 0) return sendStatus(res, 400, 'X-Backend-Replicated-Files names no files');
    await removeHashFiles(access, target, files);
    return sendStatus(res, 204);
  }
  return sendStatus(res, 405, 'Method Not Allowed', { Allow: 'GET, PUT, DELETE' });
}

/** Container rows per answer of the account-containers request. */
const CONTAINER_PAGE = 1000;
/** Rows per page of a database dump, and the largest merge body accepted. */
const DB_PAGE_ROWS = 1000;
const DB_MERGE_MAX_BYTES = 32 * 1024 * 1024;

async function handleDbRequest(ctx: HandlerContext, deps: ReplicationDeps, parsed: DbPathResult): Promise<void> {
  const { req, res } = ctx;
  if (!parsed.ok) return sendStatus(res, 400, 'problem' in parsed ? parsed.problem : 'bad path');
  const p = parsed.path;
  ctx.log.device = p.device;
  const method = req.method ?? '';
  const allowed = p.kind === 'db' ? ['GET', 'POST', 'DELETE'] : ['GET'];
  if (!allowed.includes(method)) return sendStatus(res, 405, 'Method Not Allowed', { Allow: allowed.join(', ') });
  if (!(await ctx.store.deviceAvailable(p.device))) return sendStatus(res, 507, `${p.device} is not mounted`);
  if (ctx.expectContinue) res.writeContinue();
  const database = (): ReturnType<ContainerStore['database']> => deps.containers.database(p.device);
  if (p.kind === 'dbs') return sendJson(res, 200, await listDbs(await database()));
  if (p.kind === 'db' && method === 'GET') {
    const digest = await dbDigest(await database(), p.ref);
    return digest === undefined ? sendStatus(res, 404, 'Not Found') : sendJson(res, 200, { digest });
  }
  if (p.kind === 'db' && method === 'DELETE') {
    const expected = singleHeader(req, 'x-backend-db-digest')?.trim();
    if (!expected) return sendStatus(res, 400, 'X-Backend-Db-Digest required');
    return (await dropDbIfUnchanged(await database(), p.ref, expected)) ? sendStatus(res, 204) : sendStatus(res, 409, 'database changed since it was read');
  }
  if (p.kind === 'db') {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, DB_MERGE_MAX_BYTES)).toString('utf8'));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'body is not JSON');
    }
    try {
      return sendJson(res, 200, await mergeDb(deps, p.device, p.ref.kind, parseDbMergeRequest(body)));
    } catch (err) {
      if (err instanceof SyncFrameError) throw new HttpError(400, err.message);
      throw err;
    }
  }
  if (p.kind === 'db-rows') {
    const page = await dumpDb(await database(), p.ref, p.marker, DB_PAGE_ROWS);
    return page === undefined ? sendStatus(res, 404, 'Not Found') : sendJson(res, 200, page);
  }
  if (p.kind === 'accounts') return sendJson(res, 200, await scanAccounts(await deps.containers.database(p.device)));
  const marker = new URL(req.url ?? '/', 'http://x').searchParams.get('marker') ?? undefined;
  const entries = await deps.accounts.list({ device: p.device, account: p.account }, { marker, limit: CONTAINER_PAGE, reverse: false });
  return sendJson(res, 200, entries.flatMap((e) => (e.kind === 'object' ? [e.row.name] : [])));
}

async function sendHashDir(res: ServerResponse, dir: string): Promise<void> {
  const opened = await openHashDir(dir);
  if (!opened) return sendStatus(res, 404, 'Not Found');
  try {
    const manifest = encodeManifest(opened.files);
    const total = manifest.length + opened.files.reduce((n, f) => n + f.size, 0);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': total });
    res.write(manifest);
    for (const f of opened.files) {
      if (f.size === 0) continue;
      const source = opened.sources.get(f.name);
      if (!source) throw new Error(`${f.name} not opened`);
      if (source.kind === 'bytes') {
        if (!res.write(source.bytes)) await drained(res);
        continue;
      }
      for await (const chunk of source.fh.createReadStream({ start: 0, end: f.size - 1, autoClose: false })) {
        if (res.destroyed) return;
        if (!res.write(chunk as Buffer)) await drained(res);
      }
    }
    res.end();
  } finally {
    await opened.close();
  }
}

/** Resolves on 'drain', or on 'close' when the peer went away (the loop then stops). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
