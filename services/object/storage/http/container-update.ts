/**
 * Object → container updates (Swift's way). When an object PUT or DELETE has committed, the
 * object server tells the container server that holds the object's container row, named by the
 * proxy in `X-Container-Host` (ip:port), `X-Container-Device` and `X-Container-Partition` (one
 * container replica per object replica). The update is sent before the client is answered, with
 * a bounded wait; when it fails (error, timeout, non-2xx) it is written durably to
 * `<device>/async_pending/<suffix>/<hash>-<timestamp>` for the updater to replay, and the
 * client still gets its success.
 */
import { randomUUID } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { hashPath } from '../../common/hash-path';
import type { Logger } from '../../../runtime/log';
import type { HashSecret, ObjectRef } from '../diskfile/disk-file';
import { fsyncDir, mkdirDurable, writeNewFile } from '../diskfile/durable-fs';
import { asyncPendingPath, tmpPath } from '../diskfile/layout';
import { HttpError } from './http-error';
import { singleHeader } from './request-headers';

/** Where the container row lives. */
export interface ContainerTarget {
  host: string;
  port: number;
  device: string;
  partition: string;
}

/** One container update, as sent and as queued in async_pending (JSON). */
export interface PendingUpdate {
  method: 'PUT' | 'DELETE';
  /** `/<account>/<container>/<object>` (not encoded). */
  path: string;
  headers: Record<string, string>;
  target: ContainerTarget;
}

/**
 * The container to update, from the X-Container-* headers; undefined when the request names
 * none (e.g. a replicator's or a test's direct write), 400 when only some are given or malformed.
 */
export function containerTargetFrom(req: IncomingMessage): ContainerTarget | undefined {
  const host = singleHeader(req, 'x-container-host')?.trim();
  const device = singleHeader(req, 'x-container-device')?.trim();
  const partition = singleHeader(req, 'x-container-partition')?.trim();
  if (host === undefined && device === undefined && partition === undefined) return undefined;
  if (!host || !device || !partition) throw new HttpError(400, 'X-Container-Host, X-Container-Device and X-Container-Partition go together');
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(host);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new HttpError(400, 'X-Container-Host must be ip:port');
  if (device.includes('/') || device === '.' || device === '..') throw new HttpError(400, 'Invalid X-Container-Device');
  if (!/^\d{1,10}$/.test(partition)) throw new HttpError(400, 'Invalid X-Container-Partition');
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), device, partition };
}

/** The request path of an update at its target (each name segment percent-encoded). */
export function updateUrl(u: PendingUpdate): string {
  const [, account, container, ...object] = u.path.split('/');
  return `/${encodeURIComponent(u.target.device)}/${u.target.partition}/${encodeURIComponent(account)}/${encodeURIComponent(container)}/${encodeURIComponent(object.join('/'))}`;
}

/** Sends one update; resolves true on a 2xx answer, false on anything else (never rejects). */
export function sendUpdate(u: PendingUpdate, timeoutMs: number, transId?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const headers: Record<string, string> = { ...u.headers, 'X-Backend-Storage-Layer': 'container', 'Content-Length': '0' };
    if (transId) headers['X-Trans-Id'] = transId;
    const req = httpRequest({ host: u.target.host, port: u.target.port, method: u.method, path: updateUrl(u), headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300));
      res.on('error', () => finish(false));
    });
    const timer = setTimeout(() => {
      finish(false);
      req.destroy();
    }, timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

export interface ContainerUpdaterOptions {
  devicesRoot: string;
  secret: HashSecret;
  fsync: boolean;
  timeoutMs: number;
  logger?: Logger;
}

export type UpdateOutcome = 'sent' | 'queued';

export class ContainerUpdater {
  constructor(private readonly opts: ContainerUpdaterOptions) {}

  /** Sends the update, or queues it in async_pending when that fails. */
  async update(ref: ObjectRef, target: ContainerTarget, method: 'PUT' | 'DELETE', headers: Record<string, string>, transId?: string): Promise<UpdateOutcome> {
    const u: PendingUpdate = { method, path: `/${ref.account}/${ref.container}/${ref.object}`, headers, target };
    if (await sendUpdate(u, this.opts.timeoutMs, transId)) return 'sent';
    const hash = hashPath(this.opts.secret.prefix, this.opts.secret.suffix, ref.account, ref.container, ref.object);
    await this.queue(ref.device, hash, u);
    this.opts.logger?.warn('container update queued', { device: ref.device, path: u.path, target: `${target.host}:${target.port}/${target.device}`, txId: transId });
    return 'queued';
  }

  /** Writes the update to `<device>/async_pending/<suffix>/<hash>-<timestamp>` (temp file, then rename). */
  async queue(device: string, hash: string, u: PendingUpdate): Promise<string> {
    const { devicesRoot, fsync } = this.opts;
    const file = asyncPendingPath(devicesRoot, device, hash, u.headers['X-Timestamp']);
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
