/**
 * Follows the controller with the list-then-watch pattern (../shared/DESIGN.md): list everything
 * the agent keeps at revision R, then Watch from R+1. A compacted log (OUT_OF_RANGE)
 * triggers a re-list, never a crash; a broken stream (controller restart, network) resumes from
 * the last applied revision after a bounded backoff.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import type { NetworkApi } from '../../services/runtime/client/network-client';
import type { WatchResponse } from '../../proto/gen/weft/network/v1/network_service';
import type { Network, Port, SecurityGroup, Subnet } from '../../proto/gen/weft/network/v1/resources';
import type { Logger } from '../../services/runtime/log';
import type { Snapshot, StateCache } from './cache';

const PAGE = 1000;
const MAX_BACKOFF_MS = 2000;

export interface FeedOptions {
  /** Returns a client carrying a currently valid token. */
  api(): NetworkApi;
  cache: StateCache;
  logger: Logger;
  /** Called after a (re-)list and after every event that changed the cache. */
  onChange(): void;
  /** Called with the controller's head revision whenever it is learned. */
  onHead?(revision: number): void;
}

async function listAll<T>(page: (token: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const out: T[] = [];
  let token = '';
  // Bounded: a page token never repeats, and 10,000 pages of 1,000 is far beyond any host.
  for (let i = 0; i < 10_000; i++) {
    const r = await page(token);
    out.push(...r.items);
    if (!r.next) return out;
    token = r.next;
  }
  throw new Error('listing did not finish after 10,000 pages');
}

export async function listSnapshot(api: NetworkApi): Promise<Snapshot> {
  const { revision } = await api.getRevision({});
  const opts = { deadlineMs: 60_000 };
  const [networks, subnets, ports, securityGroups] = await Promise.all([
    listAll<Network>(async (pageToken) => {
      const r = await api.listNetworks({ pageSize: PAGE, pageToken }, opts);
      return { items: r.networks, next: r.nextPageToken };
    }),
    listAll<Subnet>(async (pageToken) => {
      const r = await api.listSubnets({ pageSize: PAGE, pageToken }, opts);
      return { items: r.subnets, next: r.nextPageToken };
    }),
    listAll<Port>(async (pageToken) => {
      const r = await api.listPorts({ pageSize: PAGE, pageToken }, opts);
      return { items: r.ports, next: r.nextPageToken };
    }),
    listAll<SecurityGroup>(async (pageToken) => {
      const r = await api.listSecurityGroups({ pageSize: PAGE, pageToken }, opts);
      return { items: r.securityGroups, next: r.nextPageToken };
    }),
  ]);
  return { revision, networks, subnets, ports, securityGroups };
}

export class Feed {
  private stopped = false;
  private stream: { cancel(): void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 100;
  private needList = true;
  /** Times the agent had to list everything (start, compaction, gaps). */
  relists = 0;
  private firstSync: Promise<void>;
  private resolveFirst!: () => void;

  constructor(private readonly opts: FeedOptions) {
    this.firstSync = new Promise((r) => (this.resolveFirst = r));
  }

  start(): void {
    void this.cycle();
  }

  /** Resolves after the first complete listing. */
  synced(): Promise<void> {
    return this.firstSync;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.cancel();
  }

  private retry(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.cycle(), this.backoffMs);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    const { cache, logger } = this.opts;
    const api = this.opts.api();
    try {
      if (this.needList) {
        const snap = await listSnapshot(api);
        if (this.stopped) return;
        cache.replaceAll(snap);
        this.needList = false;
        this.relists++;
        this.opts.onHead?.(snap.revision);
        logger.info('controller state listed', { revision: snap.revision, ports: snap.ports.length, networks: snap.networks.length });
        this.resolveFirst();
        this.opts.onChange();
      }
    } catch (err) {
      logger.warn('listing controller state failed; retrying', { error: (err as Error).message });
      this.retry();
      return;
    }
    const from = cache.revision + 1;
    const call = api.watch({ fromRevision: from });
    this.stream = call;
    call.on('data', (ev: WatchResponse) => {
      this.backoffMs = 100;
      // Revisions only grow along a stream; a repeat after a resume is already applied.
      if (ev.revision <= cache.revision) return;
      this.opts.onHead?.(ev.revision);
      if (cache.apply(ev)) this.opts.onChange();
    });
    // 'error' and 'end' may both arrive for one stream: only the first one moves on.
    const ended = (): boolean => {
      if (this.stream !== call) return true;
      this.stream = undefined;
      return false;
    };
    call.on('error', (err: ServiceError) => {
      if (ended()) return;
      if (this.stopped || err.code === status.CANCELLED) {
        if (!this.stopped) this.retry();
        return;
      }
      if (err.code === status.OUT_OF_RANGE) {
        logger.warn('watch feed compacted past our revision; re-listing', { from });
        this.needList = true;
      } else {
        logger.warn('watch feed broke; resuming', { code: err.code, error: err.details });
      }
      this.retry();
    });
    call.on('end', () => {
      if (!ended() && !this.stopped) this.retry();
    });
  }
}
