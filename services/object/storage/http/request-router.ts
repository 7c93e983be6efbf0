/**
 * Turns one HTTP exchange into a handler call, and owns what every request shares: the
 * transaction id (X-Trans-Id, taken from the proxy or made here), the 400/405/501/507 checks
 * before any handler runs, the error → status mapping, stats and the request's log line.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../runtime/log';
import { handleAccount, handleContainerRow } from '../account/account-http';
import type { AccountStore } from '../account/account-store';
import type { AccountReporter } from '../container/account-reporter';
import type { ContainerStore } from '../container/container-store';
import { handleContainer, handleObjectRow, handleRowBatch } from '../container/container-http';
import type { ExpiryIndex } from '../diskfile/expirer-index';
import type { ObjectStore } from '../diskfile/object-store';
import type { ContainerUpdater } from './container-update';
import { errorResponse } from './error-response';
import type { HandlerContext, ObjectHandler } from './handler-context';
import { decodePathPart, deviceNameProblem } from '../../common/names';
import { handleObjectBatch } from './object-batch';
import { handleDelete } from './object-delete';
import { handleGetOrHead } from './object-get';
import { handlePost } from './object-post';
import { handlePut } from './object-put';
import { singleHeader } from './request-headers';
import { handleReplication, isReplicationRequest } from './replication-routes';
import { sendStatus } from './respond';
import { parseStoragePath } from './storage-path';
import type { StorageStats } from './storage-stats';

const HANDLERS: Record<string, ObjectHandler> = {
  GET: handleGetOrHead,
  HEAD: handleGetOrHead,
  PUT: handlePut,
  POST: handlePost,
  DELETE: handleDelete,
};
const ALLOW = Object.keys(HANDLERS).join(', ');

export interface RouterDeps {
  store: ObjectStore;
  /** The container layer (container paths, and object paths with X-Backend-Storage-Layer: container). */
  containers: ContainerStore;
  /** The account layer (account paths, and container paths with X-Backend-Storage-Layer: account). */
  accounts: AccountStore;
  stats: StorageStats;
  expiring: ExpiryIndex;
  updater: ContainerUpdater;
  /** Container → account reports. */
  reporter: AccountReporter;
  logger: Logger;
  maxObjectSize: number;
}

export function createRequestRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => void {
  return (req, res, expectContinue) => {
    const transId = singleHeader(req, 'x-trans-id')?.slice(0, 128) || `tx${randomUUID().replace(/-/g, '')}`;
    res.setHeader('X-Trans-Id', transId);
    const ctx: HandlerContext = { req, res, store: deps.store, stats: deps.stats, expiring: deps.expiring, now: Date.now, updater: deps.updater, maxObjectSize: deps.maxObjectSize, expectContinue, transId, log: {} };
    const started = process.hrtime.bigint();
    let failedStatus: number | undefined;
    res.on('close', () => {
      // A response that never went out (client gone) is logged with the status we meant to send.
      const status = res.headersSent ? res.statusCode : (failedStatus ?? 499);
      deps.stats.countRequest(req.method ?? '?', status);
      const fields = { method: req.method, path: req.url?.slice(0, 512), status, ms: Number(process.hrtime.bigint() - started) / 1e6, txId: transId, ...ctx.log };
      if (status >= 500 || status === 499) deps.logger.warn('request', fields);
      else deps.logger.info('request', fields);
    });
    route(ctx, deps).catch((err: unknown) => {
      const e = errorResponse(err, transId);
      failedStatus = e.status;
      if (e.unexpected) deps.logger.error('request failed', { txId: transId, error: err });
      if (res.headersSent) res.destroy();
      else sendStatus(res, e.status, e.message, e.headers);
    });
  };
}

/** `POST /<device>` with a batch of small object PUTs (object-batch.ts). */
async function routeObjectBatch(ctx: HandlerContext, deps: RouterDeps, url: string): Promise<void> {
  const q = url.indexOf('?');
  const device = decodePathPart((q >= 0 ? url.slice(0, q) : url).slice(1));
  if (device === undefined || !url.startsWith('/')) return sendStatus(ctx.res, 400, 'path must be /<device>');
  const problem = deviceNameProblem(device);
  if (problem) return sendStatus(ctx.res, 400, problem);
  if (!(await ctx.store.deviceAvailable(device))) return sendStatus(ctx.res, 507, `${device} is not mounted`);
  if (ctx.expectContinue) ctx.res.writeContinue();
  ctx.log.device = device;
  ctx.log.layer = 'object-batch';
  await handleObjectBatch(ctx, device, deps.logger);
}

async function route(ctx: HandlerContext, deps: RouterDeps): Promise<void> {
  const { req, res } = ctx;
  const method = req.method ?? '';
  const url = req.url ?? '/';
  if (url === '/healthcheck' && (method === 'GET' || method === 'HEAD')) return sendStatus(res, 200, 'OK');
  if (url === '/recon/stats' && method === 'GET') {
    const body = JSON.stringify({ ...deps.stats.snapshot(), accountReports: deps.reporter.counters });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (isReplicationRequest(req)) return handleReplication(ctx, deps);
  // Which layer: one process serves them all, so every container-layer request says so with
  // X-Backend-Storage-Layer: container (docs/object-storage.md); without it, the object layer.
  const layer = singleHeader(req, 'x-backend-storage-layer')?.trim().toLowerCase() || 'object';
  if (layer === 'object-batch') return routeObjectBatch(ctx, deps, url);
  const handler = HANDLERS[method];
  if (!handler) return sendStatus(res, 405, 'Method Not Allowed', { Allow: ALLOW });
  const parsed = parseStoragePath(url);
  if (!parsed.ok) return sendStatus(res, 400, parsed.problem);
  const { device, partition, account, container, object } = parsed.path;
  if (layer !== 'object' && layer !== 'container' && layer !== 'account' && layer !== 'container-rows') return sendStatus(res, 400, `unknown X-Backend-Storage-Layer ${JSON.stringify(layer.slice(0, 32))}`);
  if (layer !== 'account' && container === undefined) return sendStatus(res, 501, 'account paths need X-Backend-Storage-Layer: account');
  if (layer === 'account' && object !== undefined) return sendStatus(res, 400, 'the account layer serves account and container paths only');
  if (layer === 'object' && object === undefined) return sendStatus(res, 501, 'the object layer serves object paths only (container requests need X-Backend-Storage-Layer: container)');
  if (!(await ctx.store.deviceAvailable(device))) return sendStatus(res, 507, `${device} is not mounted`);
  if (layer === 'account') {
    if (ctx.expectContinue) res.writeContinue();
    ctx.log.device = device;
    ctx.log.layer = 'account';
    const x = { req, res, accounts: deps.accounts };
    return container === undefined ? handleAccount(x, { device, account }) : handleContainerRow(x, { device, account }, container);
  }
  if (container === undefined) return sendStatus(res, 501, 'not a container path'); // (narrowing; checked above)
  if (layer === 'container-rows') {
    if (object !== undefined) return sendStatus(res, 400, 'a row batch goes to the container path');
    if (ctx.expectContinue) res.writeContinue();
    ctx.log.device = device;
    ctx.log.layer = 'container';
    return handleRowBatch({ req, res, containers: deps.containers, reporter: deps.reporter }, { device, account, container });
  }
  if (layer === 'container') {
    if (ctx.expectContinue) res.writeContinue();
    ctx.log.device = device;
    ctx.log.layer = 'container';
    const x = { req, res, containers: deps.containers, reporter: deps.reporter };
    const ref = { device, account, container };
    return object === undefined ? handleContainer(x, ref) : handleObjectRow(x, ref, object);
  }
  if (object === undefined) return sendStatus(res, 501, 'not an object path'); // (narrowing; checked above)
  // PUT decides about 100 Continue itself, after its checks; the others have no body to wait for.
  if (ctx.expectContinue && method !== 'PUT') res.writeContinue();
  ctx.log.device = device;
  await handler(ctx, { device, partition, account, container, object });
}
