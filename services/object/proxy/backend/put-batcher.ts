/**
 * Coalesces the proxy's small object PUTs per storage device (common/object-batch.ts says why).
 *
 * A PUT to a device with fewer than `maxInFlight` exchanges in flight leaves at once, alone, as
 * a plain PUT: an idle cluster sees no added latency and no new protocol. PUTs that arrive while
 * the device is that busy wait, and leave together (up to `maxBatch`) as soon as an exchange
 * ends: under load one exchange on each side carries many objects. Two exchanges may be in
 * flight so that a storage server always has the next batch's work while the previous one waits
 * for its fsyncs.
 *
 * Every caller gets its own entry's answer. An exchange that got no usable answer (connection
 * failed, timeout, a malformed reply) fails each of its entries with that error, and the PUTs
 * waiting behind it fail with it too, at once: the device is likely down, and the callers move
 * on to a handoff rather than wait for a second timeout.
 */
import type { BatchReply } from '../../common/object-batch';
import { asBackendError } from './backend-error';
import type { NodeAddress } from './storage-client';

/** One small PUT for one device, whole. */
export interface SmallPut {
  node: NodeAddress;
  partition: number;
  account: string;
  container: string;
  object: string;
  /** The PUT's headers (Content-Length is set from the body). */
  headers: Record<string, string>;
  body: Buffer;
  transId: string;
}

/** Sends one PUT alone. */
export type SendAlone = (put: SmallPut) => Promise<BatchReply>;
/** Sends several PUTs for one device as one batch; one reply per PUT, in order. */
export type SendBatch = (node: NodeAddress, puts: SmallPut[]) => Promise<BatchReply[]>;

interface Waiting {
  put: SmallPut;
  resolve(reply: BatchReply): void;
  reject(err: Error): void;
}

interface DeviceState {
  inFlight: number;
  queue: Waiting[];
}

export interface PutBatcherCounters {
  puts: number;
  exchanges: number;
  batches: number;
}

export class PutBatcher {
  private readonly devices = new Map<string, DeviceState>();
  private readonly stats: PutBatcherCounters = { puts: 0, exchanges: 0, batches: 0 };

  constructor(
    private readonly sendAlone: SendAlone,
    private readonly sendBatch: SendBatch,
    private readonly maxBatch = 32,
    private readonly maxInFlight = 2,
  ) {}

  /** Sends (or queues) a PUT; resolves with its answer, rejects when none came. */
  put(put: SmallPut): Promise<BatchReply> {
    this.stats.puts++;
    return new Promise((resolve, reject) => {
      const key = `${put.node.ip}:${put.node.port}/${put.node.device}`;
      let state = this.devices.get(key);
      if (!state) {
        state = { inFlight: 0, queue: [] };
        this.devices.set(key, state);
      }
      state.queue.push({ put, resolve, reject });
      if (state.inFlight < this.maxInFlight) this.dispatch(key, state);
    });
  }

  /** PUTs asked for, exchanges made, and how many of those were batches (a copy). */
  get counters(): PutBatcherCounters {
    return { ...this.stats };
  }

  private dispatch(key: string, state: DeviceState): void {
    const items = state.queue.splice(0, this.maxBatch);
    if (items.length === 0) {
      if (state.inFlight === 0) this.devices.delete(key);
      return;
    }
    state.inFlight++;
    this.stats.exchanges++;
    if (items.length > 1) this.stats.batches++;
    const first = items[0]!;
    const sent: Promise<BatchReply[]> =
      items.length === 1
        ? this.sendAlone(first.put).then((r) => [r])
        : this.sendBatch(
            first.put.node,
            items.map((i) => i.put),
          );
    sent.then(
      (replies) => {
        items.forEach((item, i) => item.resolve(replies[i]!));
        state.inFlight--;
        this.dispatch(key, state);
      },
      (err: unknown) => {
        const error = asBackendError(err);
        for (const item of items) item.reject(error);
        for (const item of state.queue.splice(0)) item.reject(error);
        state.inFlight--;
        if (state.inFlight === 0) this.devices.delete(key);
      },
    );
  }
}
