/**
 * Object → container updates (Swift's way). When an object PUT or DELETE has committed, the
 * object server tells the container server that holds the object's container row, named by the
 * proxy in `X-Container-Host` (ip:port), `X-Container-Device` and `X-Container-Partition` (one
 * container replica per object replica). The update is sent before the client is answered, with
 * a bounded wait; when it fails (error, timeout, non-2xx) it is written durably to
 * `<device>/async_pending/<suffix>/<hash>-<timestamp>` for the updater to replay, and the
 * client still gets its success.
 *
 * What the row says can be overridden by the writer, as in Swift: `X-Backend-Container-Update-
 * Override-{Etag,Size,Content-Type}` for this request only, and the same names under
 * `X-Object-Sysmeta-Container-Update-Override-`, which are stored with the object and win. The
 * proxy's SLO middleware uses the latter so a manifest's row reads `<type>;swift_bytes=<SLO size>`
 * with etag `<manifest MD5>; slo_etag=<SLO ETag>`.
 */
import { randomUUID } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import * as path from 'node:path';
import { hashPath } from '../../common/hash-path';
import { CONTAINER_UPDATE_OVERRIDE_PREFIXES, SLO_ETAG_PARAM, SWIFT_BYTES_PARAM } from '../../common/object-headers';
import type { Logger } from '../../../runtime/log';
import type { HashSecret, ObjectRef } from '../diskfile/disk-file';
import { fsyncDir, mkdirDurable, writeNewFile } from '../diskfile/durable-fs';
import { asyncPendingPath, tmpPath } from '../diskfile/layout';
import type { RowUpdate } from '../container/row-update';
import { RowBatcher } from './row-batcher';
import { updateTargetFrom, type UpdateTarget } from './update-target';
import type { HeaderSource } from './request-headers';

/** Where the container row lives. */
export type ContainerTarget = UpdateTarget;

/** One update, as sent and as queued in async_pending (JSON). */
export interface PendingUpdate {
  /**
   * Which layer the target serves: absent = container (an object's row update, path
   * `/<account>/<container>/<object>`); 'account' = a container's report, path `/<account>/<container>`.
   */
  layer?: 'account';
  method: 'PUT' | 'DELETE';
  /** `/<account>/<container>[/<object>]` (not encoded). */
  path: string;
  headers: Record<string, string>;
  target: UpdateTarget;
}

/**
 * The container to update, from the X-Container-* headers; undefined when the request names
 * none (e.g. a replicator's or a test's direct write), 400 when only some are given or malformed.
 */
export function containerTargetFrom(req: HeaderSource): ContainerTarget | undefined {
  return updateTargetFrom(req, 'Container');
}


/** The row fields an override may replace, by the name after the prefix. */
const OVERRIDABLE: Readonly<Record<string, string>> = { etag: 'X-Etag', size: 'X-Size', 'content-type': 'X-Content-Type' };

/** Every `swift_bytes` parameter of a content type. */
const ALL_SWIFT_BYTES_PARAMS = new RegExp(SWIFT_BYTES_PARAM.source, 'g');
/** Every `slo_etag` parameter of an etag. */
const ALL_SLO_ETAG_PARAMS = new RegExp(SLO_ETAG_PARAM.source, 'g');

/**
 * The update's headers with the overrides in `headers` (lower-case names, as Node gives them)
 * applied. An override of the size must be a non-negative integer; one that is not is ignored
 * rather than failing a committed write. A `swift_bytes` parameter in the object's own content
 * type, and a `slo_etag` parameter in its own etag, are dropped: only an override may set them
 * (and clients can send neither kind: the proxy's gatekeeper drops X-Backend-* and sysmeta), or
 * any client could choose the size its object lists with or pass it off as a large object.
 * Overrides are applied weakest first (backend, then sysmeta), as Swift's object server does.
 */
export function withUpdateOverrides(update: Readonly<Record<string, string>>, headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out = { ...update };
  if (out['X-Content-Type'] !== undefined) out['X-Content-Type'] = out['X-Content-Type'].replace(ALL_SWIFT_BYTES_PARAMS, '');
  if (out['X-Etag'] !== undefined) out['X-Etag'] = out['X-Etag'].replace(ALL_SLO_ETAG_PARAMS, '');
  for (const prefix of CONTAINER_UPDATE_OVERRIDE_PREFIXES) {
    for (const [name, raw] of Object.entries(headers)) {
      if (raw === undefined || !name.startsWith(prefix)) continue;
      const field = OVERRIDABLE[name.slice(prefix.length)];
      const value = Array.isArray(raw) ? raw.join(', ') : raw;
      if (field === undefined || (field === 'X-Size' && !/^\d{1,16}$/.test(value))) continue;
      out[field] = value;
    }
  }
  return out;
}

/** The request path of an update at its target (each name segment percent-encoded). */
export function updateUrl(u: PendingUpdate): string {
  const [, account, container, ...object] = u.path.split('/');
  if (u.layer === 'account') return `/${encodeURIComponent(u.target.device)}/${u.target.partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}`;
  return `/${encodeURIComponent(u.target.device)}/${u.target.partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}/${encodeURIComponent(object.join('/'))}`;
}

/** Sends one update; resolves true on a 2xx answer, false on anything else (never rejects). */
export async function sendUpdate(u: PendingUpdate, timeoutMs: number, transId?: string): Promise<boolean> {
  const status = await sendUpdateStatus(u, timeoutMs, transId);
  return status >= 200 && status < 300;
}

/** What one exchange with a storage server brought back: its status and (up to a limit) body. */
interface Answer {
  status: number;
  /** Undefined when the body was longer than asked for. */
  body?: Buffer;
}

/**
 * One request to a storage server with a bounded wait; undefined when no answer came (error,
 * timeout). The answer's body is kept up to `maxBody` bytes (0: discarded). Never rejects.
 */
function exchange(target: UpdateTarget, method: string, path: string, headers: Record<string, string>, body: string, timeoutMs: number, maxBody: number, agent?: Agent): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: Answer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const req = httpRequest({ host: target.host, port: target.port, method, path, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxBody) chunks.push(c);
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: size <= maxBody ? Buffer.concat(chunks) : undefined }));
      res.on('error', () => finish(undefined));
    });
    const timer = setTimeout(() => {
      finish(undefined);
      req.destroy();
    }, timeoutMs);
    req.on('error', () => finish(undefined));
    req.end(body);
  });
}

/** Sends one update; resolves with the answer's status, 0 when there was none (error, timeout). */
export async function sendUpdateStatus(u: PendingUpdate, timeoutMs: number, transId?: string, agent?: Agent): Promise<number> {
  const headers: Record<string, string> = { ...u.headers, 'X-Backend-Storage-Layer': u.layer ?? 'container' };
  if (transId) headers['X-Trans-Id'] = transId;
  return (await exchange(u.target, u.method, updateUrl(u), headers, '', timeoutMs, 0, agent))?.status ?? 0;
}

/**
 * Sends rows for one container replica in one exchange (`POST` on the container path with
 * `X-Backend-Storage-Layer: container-rows`, row-update.ts); one status per row, all 0 when no
 * usable answer came (error, timeout, non-200, a malformed answer). Never rejects.
 */
export async function sendRowBatch(first: PendingUpdate, rows: RowUpdate[], timeoutMs: number, transId?: string, agent?: Agent): Promise<number[]> {
  const headers: Record<string, string> = { 'X-Backend-Storage-Layer': 'container-rows', 'Content-Type': 'application/json' };
  if (transId) headers['X-Trans-Id'] = transId;
  const answer = await exchange(first.target, 'POST', rowBatchPath(first), headers, JSON.stringify({ rows }), timeoutMs, BATCH_ANSWER_MAX_BYTES, agent);
  return rowBatchStatuses(answer?.status ?? 0, answer?.body, rows.length);
}

/** Where a `container-rows` batch for the container of `u` goes: `/<dev>/<part>/<account>/<container>`. */
export function rowBatchPath(u: PendingUpdate): string {
  const [, account = '', container = ''] = u.path.split('/');
  return `/${encodeURIComponent(u.target.device)}/${u.target.partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}`;
}

/** Each row's status from a batch answer; all 0 when it is not a usable one (non-200, not JSON, wrong count). */
export function rowBatchStatuses(status: number, body: Buffer | undefined, count: number): number[] {
  let statuses: unknown;
  try {
    if (status === 200 && body) statuses = (JSON.parse(body.toString('utf8')) as { statuses?: unknown }).statuses;
  } catch {
    // not JSON: no usable answer
  }
  const ok = Array.isArray(statuses) && statuses.length === count && statuses.every((x) => Number.isInteger(x));
  return ok ? (statuses as number[]) : new Array<number>(count).fill(0);
}

/** A batch answer is a short JSON list; anything longer is not one. */
const BATCH_ANSWER_MAX_BYTES = 64 * 1024;

export interface ContainerUpdaterOptions {
  devicesRoot: string;
  secret: HashSecret;
  fsync: boolean;
  timeoutMs: number;
  logger?: Logger;
}

export type UpdateOutcome = 'sent' | 'queued';

export class ContainerUpdater {
  /** Keep-alive connections to the container servers: a new TCP connection per update costs more than the update. */
  // Idle connections are closed after 5 s, before the container server's keep-alive timeout
  // could close one just as an update is sent on it.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 5000 });

  constructor(private readonly opts: ContainerUpdaterOptions) {}

  /** Container row updates, coalesced per container replica while one is in flight. */
  readonly rows = new RowBatcher(
    (u, transId) => sendUpdateStatus(u, this.opts.timeoutMs, transId, this.agent),
    (first, rows, transId) => sendRowBatch(first, rows, this.opts.timeoutMs, transId, this.agent),
  );

  /** Sends one update over the pooled connections; true on a 2xx answer (never rejects). */
  async send(u: PendingUpdate, transId?: string): Promise<boolean> {
    const status = u.layer === 'account' ? await sendUpdateStatus(u, this.opts.timeoutMs, transId, this.agent) : await this.rows.send(u, transId);
    return status >= 200 && status < 300;
  }

  /** Drops the pooled connections (server stop). */
  close(): void {
    this.agent.destroy();
  }

  /** Sends the update, or queues it in async_pending when that fails. */
  async update(ref: ObjectRef, target: ContainerTarget, method: 'PUT' | 'DELETE', headers: Record<string, string>, transId?: string): Promise<UpdateOutcome> {
    const u: PendingUpdate = { method, path: `/${ref.account}/${ref.container}/${ref.object}`, headers, target };
    if (await this.send(u, transId)) return 'sent';
    const hash = hashPath(this.opts.secret.prefix, this.opts.secret.suffix, ref.account, ref.container, ref.object);
    await this.queue(ref.device, hash, u);
    this.opts.logger?.warn('container update queued', { device: ref.device, path: u.path, target: `${target.host}:${target.port}/${target.device}`, txId: transId });
    return 'queued';
  }

  /**
   * Writes the update to `<device>/async_pending/<suffix>/<hash>-<timestamp>` (temp file, then
   * rename); `timestamp` defaults to the update's X-Timestamp (an object's version).
   */
  async queue(device: string, hash: string, u: PendingUpdate, timestamp: string = u.headers['X-Timestamp']): Promise<string> {
    const { devicesRoot, fsync } = this.opts;
    const file = asyncPendingPath(devicesRoot, device, hash, timestamp);
    const tmpDir = tmpPath(devicesRoot, device);
    await mkdirDurable(tmpDir, fsync);
    await mkdirDurable(path.dirname(file), fsync);
    const tmp = path.join(tmpDir, `async-${randomUUID()}`);
    await writeNewFile(tmp, JSON.stringify(u), fsync);
    await rename(tmp, file);
    if (fsync) await fsyncDir(path.dirname(file));
    return file;
  }
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** Parses a queued update (the updater's side of the format); undefined when it is not one. */
export function parsePendingUpdate(text: string): PendingUpdate | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.layer !== undefined && o.layer !== 'account') return undefined;
  if (o.method !== 'PUT' && o.method !== 'DELETE') return undefined;
  if (typeof o.path !== 'string' || !isStringRecord(o.headers)) return undefined;
  const parts = o.path.split('/');
  if (parts[0] !== '' || parts.length < (o.layer === 'account' ? 3 : 4) || (o.layer === 'account' && parts.length !== 3)) return undefined;
  const t = o.target as Record<string, unknown> | null;
  if (typeof t !== 'object' || t === null || typeof t.host !== 'string' || typeof t.port !== 'number' || typeof t.device !== 'string' || typeof t.partition !== 'string') return undefined;
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535 || !/^\d{1,10}$/.test(t.partition) || t.device.includes('/')) return undefined;
  const u: PendingUpdate = { method: o.method, path: o.path, headers: o.headers, target: { host: t.host, port: t.port, device: t.device, partition: t.partition } };
  if (o.layer === 'account') u.layer = 'account';
  return u;
}
