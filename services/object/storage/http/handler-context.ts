/** What every object handler gets: the exchange, the store, and limits. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectRef } from '../diskfile/disk-file';
import type { ExpiryIndex } from '../diskfile/expirer-index';
import type { ObjectStore } from '../diskfile/object-store';
import type { ContainerUpdater } from './container-update';
import type { StorageStats } from './storage-stats';

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  store: ObjectStore;
  stats: StorageStats;
  /** Sends (or queues) the container updates of committed PUTs and DELETEs. */
  updater: ContainerUpdater;
  /** The expirer's index of objects with X-Delete-At (diskfile/expirer-index.ts). */
  expiring: ExpiryIndex;
  /** Milliseconds since the epoch (X-Delete-At checks). */
  now(): number;
  /** Largest object body accepted (bytes). */
  maxObjectSize: number;
  /** The client sent `Expect: 100-continue` and waits for it before sending the body. */
  expectContinue: boolean;
  transId: string;
  /** Fields added to this request's log line. */
  log: Record<string, unknown>;
}

export type ObjectHandler = (ctx: HandlerContext, ref: ObjectRef) => Promise<void>;
