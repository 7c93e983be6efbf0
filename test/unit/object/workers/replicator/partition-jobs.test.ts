import type { RingDevice } from '../../../../../services/object/ring/device';
import { localDevices, planPartitionJobs, type RingView } from '../../../../../services/object/workers/replicator/partition-jobs';
import { runBounded } from '../../../../../services/object/workers/replicator/bounded-pool';

function dev(id: number, port: number, device: string): RingDevice {
  return { id, region: 1, zone: id, ip: '127.0.0.1', port, device, weight: 1, meta: '' };
}

const A = dev(0, 6000, 'a');
const B = dev(1, 6001, 'b');
const C = dev(2, 6002, 'c');
const D = dev(3, 6003, 'd');
const D2 = dev(4, 6003, 'd2');
// partition → primaries
const TABLE: RingDevice[][] = [
  [A, B, C],
  [B, C, D],
];
const ring: RingView = { partitionCount: 2, devices: [A, B, C, D, D2], getPartNodes: (p) => TABLE[p] };

describe('planPartitionJobs', () => {
  test('local devices are the ring devices at our ip:port', () => {
    expect(localDevices(ring.devices, { ip: '127.0.0.1', port: 6003 })).toEqual([D, D2]);
  });

  test('a primary syncs with the other primaries; a handoff pushes to all of them', () => {
    const jobs = planPartitionJobs(ring, [D, D2], new Map([['d', [0, 1]], ['d2', [1]]]));
    expect(jobs).toEqual([
      { device: D, partition: 0, primary: false, targets: [A, B, C] },
      { device: D, partition: 1, primary: true, targets: [B, C] },
      { device: D2, partition: 1, primary: false, targets: [B, C, D] },
    ]);
  });

  test('partitions the ring does not have are skipped', () => {
    expect(planPartitionJobs(ring, [A], new Map([['a', [5, 0]]])).map((j) => j.partition)).toEqual([0]);
  });
});

describe('runBounded', () => {
  test('never more than the limit in flight, every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runBounded([1, 2, 3, 4, 5, 6, 7], 3, new AbortController().signal, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(n);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  test('an aborted signal stops taking items', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await runBounded([1, 2, 3, 4], 1, ac.signal, async (n) => {
      seen.push(n);
      if (n === 2) ac.abort();
    });
    expect(seen).toEqual([1, 2]);
  });
});
