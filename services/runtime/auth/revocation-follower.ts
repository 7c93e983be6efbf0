/**
 * Keeps a process's RevocationSet in step with the identity service: list the events in force,
 * then watch from that revision on (list-then-watch), re-listing after any stream error or
 * compaction. Events arrive pushed, so a revocation bites everywhere within the stream's latency
 * (milliseconds), well inside the one-second promise.
 *
 * The follower authenticates with a short-lived service token it seals itself (service-token.ts):
 * holding the key repository is what makes a process a trusted validator, so no separate service
 * password is needed. Identity's policy lets role:service read the revocation feed and nothing else.
 */
import { status as Status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { WatchRevocationEventsResponse } from '../../../proto/gen/weft/identity/v1/identity_service';
import { connectIdentity, type IdentityApi } from '../client/identity-client';
import type { Clock, IssuingKeys } from '../../identity/tokens/token-codec';
import type { Logger } from '../log';
import type { RevocationSet } from './revocations';
import { sealServiceToken } from './service-token';

const SERVICE_TOKEN_TTL_MS = 15 * 60 * 1000;

export interface FollowerOptions {
  identityAddress: string;
  /** Name of this service, recorded as the service token's user id (svc:<name>). */
  serviceName: string;
  keys: IssuingKeys;
  revocations: RevocationSet;
  clock: Clock;
  logger: Logger;
  retryMs?: number;
}

export class RevocationFollower {
  private stopped = false;
  private stream: ClientReadableStream<WatchRevocationEventsResponse> | undefined;
  private client: IdentityApi | undefined;
  private tokenExpiresMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  /** Counters for observability and tests. */
  readonly stats = { lists: 0, events: 0, errors: 0 };

  constructor(private readonly opts: FollowerOptions) {}

  start(): void {
    void this.cycle();
  }

  /** True once the first full list has been applied. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first full list has been applied. */
  ready(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.cancel();
    this.client?.close();
  }

  private api(): IdentityApi {
    const now = this.opts.clock.now().getTime();
    if (!this.client || now > this.tokenExpiresMs - 60_000) {
      this.client?.close();
      const { token, expiresAtMs } = sealServiceToken(this.opts.keys, this.opts.serviceName, this.opts.clock, SERVICE_TOKEN_TTL_MS);
      this.tokenExpiresMs = expiresAtMs;
      this.client = connectIdentity(this.opts.identityAddress, { token });
    }
    return this.client;
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      const api = this.api();
      const listed = await api.listRevocationEvents({}, { deadlineMs: 10_000 });
      for (const e of listed.events) this.opts.revocations.add(e);
      this.opts.revocations.prune(this.opts.clock.now().getTime());
      this.stats.lists++;
      if (!this.synced) {
        this.synced = true;
        for (const w of this.syncWaiters.splice(0)) w();
      }
      await this.watch(api, listed.revision + 1);
    } catch (err) {
      this.stats.errors++;
      if (!this.stopped) this.opts.logger.warn('revocation feed interrupted; re-listing', { error: (err as ServiceError).details ?? String(err) });
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.cycle(), this.opts.retryMs ?? 1000);
  }

  private watch(api: IdentityApi, from: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = api.watchRevocationEvents({ fromRevision: from });
      this.stream = stream;
      // Refresh the service token (and the stream) before it expires.
      const refresh = setTimeout(() => stream.cancel(), Math.max(1000, this.tokenExpiresMs - this.opts.clock.now().getTime() - 60_000));
      stream.on('data', (msg: WatchRevocationEventsResponse) => {
        for (const e of msg.events) this.opts.revocations.add(e);
        this.stats.events += msg.events.length;
      });
      stream.on('error', (err: ServiceError) => {
        clearTimeout(refresh);
        if (err.code === Status.CANCELLED) resolve();
        else reject(err);
      });
      stream.on('end', () => {
        clearTimeout(refresh);
        resolve();
      });
    });
  }
}
