/**
 * Which partitions a replicator pass works on, and with whom (pure).
 *
 * A partition directory on a local device is either one of its primaries' (sync with the other
 * primaries; each side pushes what it has, so running the replicator everywhere converges both
 * ways) or a handoff's (push everything to the primaries, then remove the local copy).
 */
import type { RingDevice } from '../../ring/device';

export interface PartitionJob {
  /** The local device holding the partition directory. */
  device: RingDevice;
  partition: number;
  /** True when `device` is one of the partition's primaries. */
  primary: boolean;
  /** The devices to push to: the other primaries, or all of them for a handoff. */
  targets: RingDevice[];
}

export interface RingView {
  readonly partitionCount: number;
  readonly devices: readonly RingDevice[];
  getPartNodes(partition: number): RingDevice[];
}

export function sameDevice(a: RingDevice, b: RingDevice): boolean {
  return a.ip === b.ip && a.port === b.port && a.device === b.device;
}

/** The ring's devices served by the storage server at ip:port. */
export function localDevices(devices: readonly RingDevice[], self: { ip: string; port: number }): RingDevice[] {
  return devices.filter((d) => d.ip === self.ip && d.port === self.port);
}

/**
 * Jobs for the partitions found on the local devices (`partitionsOnDisk`: device name →
 * partition numbers). Partitions the ring does not have (a shrunk ring) are skipped.
 */
export function planPartitionJobs(ring: RingView, local: readonly RingDevice[], partitionsOnDisk: ReadonlyMap<string, readonly number[]>): PartitionJob[] {
  const jobs: PartitionJob[] = [];
  for (const device of local) {
    for (const partition of [...(partitionsOnDisk.get(device.device) ?? [])].sort((a, b) => a - b)) {
      if (!Number.isSafeInteger(partition) || partition < 0 || partition >= ring.partitionCount) continue;
      const primaries = ring.getPartNodes(partition);
      const primary = primaries.some((p) => sameDevice(p, device));
      const targets = primaries.filter((p) => !sameDevice(p, device));
      jobs.push({ device, partition, primary, targets });
    }
  }
  return jobs;
}
