/**
 * Coalesces an object server's container row updates per container replica (target server,
 * device, partition, account, container).
 *
 * An update for a replica with nothing in flight leaves at the end of the event loop's current
 * turn, with every other update for that replica made in the same turn (a lone one as a plain
 * row update). The entries of one object batch (object-batch.ts) are made durable by one journal
 * group and so finish together: their rows leave as one exchange, where sending the first at
 * once made it a lone exchange of its own. An idle server adds no latency beyond the turn.
 * Updates that arrive while an exchange is in flight wait for it and then leave together, up to
 * `maxBatch`, in one exchange (a `container-rows` batch, row-update.ts): under load one HTTP
 * exchange on each side carries many rows instead of one each, and the container store commits
 * rows that arrive together in one LevelDB batch. Each caller still gets
 * its own row's status (0 when no answer came), so queueing a failed update for the updater
 * works as for a single one; updates waiting behind an exchange that got no answer fail with it.
 */
import type { PendingUpdate } from './container-update';
import type { RowUpdate } from '../container/row-update';

/** Sends one update alone; resolves with the answer's status, 0 when there was none. Never rejects. */
export type SendOne = (u: PendingUpdate, transId?: string) => Promise<number>;
/** Sends rows for one container replica together; one status per row, 0s when no answer came. Never rejects. */
export type SendBatch = (first: PendingUpdate, rows: RowUpdate[], transId?: string) => Promise<number[]>;

interface Waiting {
  u: PendingUpdate;
  transId?: string;
  resolve(status: number): void;
}

/** The container replica an update goes to. */
export function replicaKey(u: PendingUpdate): string {
  const [, account, container] = u.path.split('/');
  return `${u.target.host}:${u.target.port}/${u.target.device}/${u.target.partition}/${account}/${container}`;
}

/** The row of an update, as a batch carries it. */
export function rowOf(u: PendingUpdate): RowUpdate {
  const object = u.path.split('/').slice(3).join('/');
  return { method: u.method, object, headers: u.headers };
}

export class RowBatcher {
  /** Per replica with an exchange in flight or about to leave: the updates waiting for the next one. */
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly stats = { updates: 0, exchanges: 0 };

  constructor(
    private readonly sendOne: SendOne,
    private readonly sendBatch: SendBatch,
    private readonly maxBatch = 64,
  ) {}

  /** Sends (or queues) a container row update; resolves with its status (0: no answer). */
  send(u: PendingUpdate, transId?: string): Promise<number> {
    this.stats.updates++;
    return new Promise((resolve) => {
      const item: Waiting = { u, resolve };
      if (transId !== undefined) item.transId = transId;
      const key = replicaKey(u);
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(item);
        return;
      }
      const turn = [item];
      this.waiting.set(key, turn);
      setImmediate(() => this.dispatch(key, turn.splice(0, this.maxBatch)));
    });
  }

  /** Updates asked for and exchanges made so far (a copy). */
  get counters(): { updates: number; exchanges: number } {
    return { ...this.stats };
  }

  private dispatch(key: string, items: Waiting[]): void {
    this.stats.exchanges++;
    const first = items[0]!;
    const sent: Promise<number[]> =
      items.length === 1
        ? this.sendOne(first.u, first.transId).then((s) => [s])
        : this.sendBatch(
            first.u,
            items.map((i) => rowOf(i.u)),
            first.transId,
          );
    sent
      .catch(() => items.map(() => 0))
      .then((statuses) => {
        items.forEach((item, i) => item.resolve(statuses[i] ?? 0));
        const queue = this.waiting.get(key) ?? [];
        // No answer at all (down, or slower than the timeout): the updates that waited behind it
        // fail too, at once, rather than wait a second timeout (their callers queue them for the
        // updater), so no caller waits much longer than one timeout for its answer.
        if (queue.length === 0 || statuses.every((s) => s === 0)) {
          this.waiting.delete(key);
          for (const item of queue) item.resolve(0);
          return;
        }
        this.dispatch(key, queue.splice(0, this.maxBatch));
      });
  }
}
