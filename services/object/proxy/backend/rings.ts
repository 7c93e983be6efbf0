/**
 * The proxy's view of the cluster: the account, container and object rings (RingReaders over
 * `<ringDir>/<name>.ring`), reloaded on a timer so a rebalanced ring is picked up without a
 * restart (a bad new file is refused and the last good ring keeps serving; see RingReader).
 */
import type { Logger } from '../../../runtime/log';
import { type HashPathConfig, type RingDevice, type RingName, RingReader, ringFilePath } from '../../ring';

/** Where one name lives: its partition, primary devices (replica order), and handoffs on demand. */
export interface NodePlan {
  partition: number;
  primaries: readonly RingDevice[];
  /** Handoff devices in the ring's order, for when primaries fail; a fresh iterator per call. */
  handoffs(): Iterator<RingDevice>;
  /** The ring's replica count (the quorum is computed from it). */
  replicas: number;
}

export class Rings {
  private stopWatching: Array<() => void> = [];

  private constructor(
    readonly account: RingReader,
    readonly container: RingReader,
    readonly object: RingReader,
  ) {}

  /** Opens the three rings; fails (RingError) when any is missing or invalid. */
  static async open(opts: { dir: string; hash: HashPathConfig }): Promise<Rings> {
    const open = (name: RingName): Promise<RingReader> => RingReader.open({ path: ringFilePath(opts.dir, name), hash: opts.hash });
    const [a, c, o] = await Promise.all([open('account'), open('container'), open('object')]);
    return new Rings(a, c, o);
  }

  /** Checks the files every intervalMs; logs reloads and refusals. */
  watch(intervalMs: number, logger: Logger): void {
    for (const [name, reader] of [['account', this.account], ['container', this.container], ['object', this.object]] as const) {
      this.stopWatching.push(
        reader.watch({
          intervalMs,
          onOutcome: (o) => {
            if (o.status === 'reloaded') logger.info('ring reloaded', { ring: name, version: o.version, previousVersion: o.previousVersion });
            else if (o.status === 'rejected') logger.warn('ring file refused; keeping the last good ring', { ring: name, error: o.error.message });
          },
        }),
      );
    }
  }

  close(): void {
    for (const stop of this.stopWatching) stop();
    this.stopWatching = [];
  }

  accountNodes(account: string): NodePlan {
    return plan(this.account, account);
  }
  containerNodes(account: string, container: string): NodePlan {
    return plan(this.container, account, container);
  }
  objectNodes(account: string, container: string, object: string): NodePlan {
    return plan(this.object, account, container, object);
  }
}

function plan(reader: RingReader, account: string, container?: string, object?: string): NodePlan {
  // One ring for the whole plan, even if a reload swaps it meanwhile.
  const ring = reader.ring;
  const { partition, nodes } = ring.getNodes(account, container, object);
  return { partition, primaries: nodes, handoffs: () => ring.getMoreNodes(partition), replicas: ring.replicas };
}
