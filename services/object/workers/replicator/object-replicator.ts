/**
 * The object replicator (Swift's object-replicator, push model): one pass visits every partition
 * directory on this server's devices.
 *
 * - Primary partition: ask each other primary for its suffix hashes (REPLICATE), and for the
 *   suffixes whose hashes differ compare listings and push the hash directories that would
 *   change the peer. Each side only pushes, so both directions converge once every server ran.
 * - Handoff partition: list everything once, push it to every primary the same way, and only
 *   when every primary acknowledged, remove exactly the listed files (a write that landed during
 *   the pass stays for the next one).
 * - A primary peer answering 507 (device unmounted or failed) is replaced by the next handoff
 *   (ring order), as in Swift, so the partition keeps its replica count while the device is
 *   out; that handoff's own replicator moves the data back once the device returns. A peer that
 *   does not answer at all is only counted as a failure (it may be back in a moment).
 *
 * The replicator never touches object files itself: reading, installing and removing go through
 * the storage servers (the local one included), which own the files, their locks and hashes.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../../runtime/log';
import type { RingDevice } from '../../ring/device';
import { OBJECTS_DIR } from '../../storage/diskfile/layout';
import { hashesToPush, suffixesToSync, type SuffixListing } from '../../storage/replication/merge-plan';
import type { PassStats, Worker } from '../worker';
import { runBounded } from './bounded-pool';
import { localDevices, planPartitionJobs, sameDevice, type PartitionJob, type RingView } from './partition-jobs';
import { ReplicationClient, ReplicationRequestError, type NodeAddress } from './replication-client';

/** The object ring as the replicator reads it; without getMoreNodes, no handoff replaces a 507 peer. */
export interface ObjectRingView extends RingView {
  getMoreNodes?(partition: number): Iterable<RingDevice>;
}

export interface ObjectReplicatorOptions {
  devicesRoot: string;
  /** This server's address as the ring names it: its devices are the ones to replicate. */
  self: { ip: string; port: number };
  /** The object ring as it is now (asked once per pass, so a reloaded ring applies). */
  ring: () => ObjectRingView | Promise<ObjectRingView>;
  /** Partitions replicated at once. */
  concurrency?: number;
  /** Bound on every request to a storage server. */
  requestTimeoutMs?: number;
  logger?: Logger;
}

export interface ReplicatorStats extends PassStats {
  partitions: number;
  handoffPartitions: number;
  suffixesSynced: number;
  objectsPushed: number;
  handoffsRemoved: number;
  /** Handoffs pushed to in place of a primary that answered 507. */
  handoffsForUnmounted: number;
  failures: number;
}

function address(d: RingDevice): NodeAddress {
  return { ip: d.ip, port: d.port, device: d.device };
}

async function partitionsOn(devicesRoot: string, device: string): Promise<number[]> {
  try {
    return (await readdir(path.join(devicesRoot, device, OBJECTS_DIR))).filter((n) => /^\d{1,10}$/.test(n)).map(Number);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export class ObjectReplicator implements Worker {
  readonly name = 'replicator';

  constructor(private readonly opts: ObjectReplicatorOptions) {}

  async runOnce(signal: AbortSignal): Promise<ReplicatorStats> {
    const stats: ReplicatorStats = { partitions: 0, handoffPartitions: 0, suffixesSynced: 0, objectsPushed: 0, handoffsRemoved: 0, handoffsForUnmounted: 0, failures: 0 };
    const ring = await this.opts.ring();
    const local = localDevices(ring.devices, this.opts.self);
    const onDisk = new Map<string, number[]>();
    for (const d of local) onDisk.set(d.device, await partitionsOn(this.opts.devicesRoot, d.device));
    const jobs = planPartitionJobs(ring, local, onDisk);
    const client = new ReplicationClient(this.opts.requestTimeoutMs ?? 30_000);
    try {
      await runBounded(jobs, this.opts.concurrency ?? 4, signal, async (job) => {
        stats.partitions++;
        if (!job.primary) stats.handoffPartitions++;
        try {
          await this.replicatePartition(client, ring, job, stats, signal);
        } catch (err) {
          stats.failures++;
          this.opts.logger?.warn('partition replication failed', { device: job.device.device, partition: job.partition, error: err });
        }
      });
    } finally {
      client.close();
    }
    this.opts.logger?.info('replicator pass', { ...stats });
    return stats;
  }

  private async replicatePartition(client: ReplicationClient, ring: ObjectRingView, job: PartitionJob, stats: ReplicatorStats, signal: AbortSignal): Promise<void> {
    const self = address(job.device);
    const localHashes = await client.replicate(self, job.partition);
    const suffixes = Object.keys(localHashes).sort();
    if (suffixes.length === 0) return;
    // A handoff lists everything once: these are the files it may remove after the pushes.
    const handoffListing: SuffixListing | undefined = job.primary ? undefined : await client.listSuffixes(self, job.partition, suffixes);
    let acknowledged = 0;
    const targets = [...job.targets];
    const spares = job.primary ? spareDevices(ring, job) : undefined;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (signal.aborted) return;
      try {
        await this.syncWith(client, job, target, localHashes, handoffListing, stats);
        acknowledged++;
      } catch (err) {
        stats.failures++;
        this.opts.logger?.warn('sync with peer failed', { device: job.device.device, partition: job.partition, peer: `${target.ip}:${target.port}/${target.device}`, error: err });
        if (spares && isUnmounted(err)) {
          const spare = nextSpare(spares, targets);
          if (spare) {
            targets.push(spare);
            stats.handoffsForUnmounted++;
          }
        }
      }
    }
    if (handoffListing && job.targets.length > 0 && acknowledged === job.targets.length) {
      for (const suffix of Object.keys(handoffListing)) {
        for (const [hash, files] of Object.entries(handoffListing[suffix])) {
          await client.removeHandedOff(self, job.partition, hash, files);
          stats.handoffsRemoved++;
        }
      }
    }
  }

  /** Pushes to one peer whatever of ours it lacks; resolves once the peer holds it all. */
  private async syncWith(
    client: ReplicationClient,
    job: PartitionJob,
    target: RingDevice,
    localHashes: Record<string, string>,
    handoffListing: SuffixListing | undefined,
    stats: ReplicatorStats,
  ): Promise<void> {
    const peer = address(target);
    const remoteHashes = await client.replicate(peer, job.partition);
    const differ = suffixesToSync(localHashes, remoteHashes);
    if (differ.length === 0) return;
    const mine = handoffListing ? pick(handoffListing, differ) : await client.listSuffixes(address(job.device), job.partition, differ);
    const theirs = await client.listSuffixes(peer, job.partition, differ);
    for (const { hash } of hashesToPush(mine, theirs)) {
      const outcome = await client.push(address(job.device), peer, job.partition, hash);
      if (outcome === 'installed') stats.objectsPushed++;
    }
    stats.suffixesSynced += differ.length;
    // Have the peer rehash now (as Swift does), so the next pass sees the suffixes equal.
    await client.replicate(peer, job.partition, differ);
  }
}

function isUnmounted(err: unknown): boolean {
  return err instanceof ReplicationRequestError && err.status === 507;
}

/** The partition's handoffs in ring order (empty when the ring cannot tell). */
function spareDevices(ring: ObjectRingView, job: PartitionJob): Iterator<RingDevice> {
  return (ring.getMoreNodes ? ring.getMoreNodes(job.partition) : [])[Symbol.iterator]();
}

/** The next handoff that is neither this device nor a device already a target. */
function nextSpare(spares: Iterator<RingDevice>, targets: readonly RingDevice[]): RingDevice | undefined {
  for (let n = spares.next(); !n.done; n = spares.next()) {
    if (!targets.some((t) => sameDevice(t, n.value))) return n.value;
  }
  return undefined;
}

function pick(listing: SuffixListing, suffixes: readonly string[]): SuffixListing {
  const out: SuffixListing = {};
  for (const s of suffixes) out[s] = listing[s] ?? {};
  return out;
}
