/**
 * Golden tests: exact placements and exact ring-file bytes for a fixed seed and device set.
 *
 * These are deliberately fragile. They fail on ANY change to the builder's algorithm, its PRNG
 * use, the visiting order, tie-breaking or the ring file encoding, even a harmless one. That is
 * the point: a change that moves partitions moves customers' data in every cluster that
 * rebalances with the new code, so it must be a conscious decision. If you meant to change
 * placement, check the property tests still pass, then update the constants here and say so in
 * the commit message. If you did not mean to, find out what changed.
 */
import { createHash } from 'node:crypto';
import { Ring, decodeRingFile, encodeRingFile, hashPath, partitionOfHash } from '../../../../services/object/ring';
import { REFERENCE_LAYOUT, newBuilder } from './ring-fixtures';

const SEED = 42;

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function firstPartitions(table: readonly ArrayLike<number>[], n: number): number[][] {
  return Array.from({ length: n }, (_, p) => table.map((row) => row[p]));
}

describe('golden: 12 devices (1 region, 4 zones x 3), part power 10, 3 replicas, seed 42', () => {
  const build = () => {
    const b = newBuilder(REFERENCE_LAYOUT.devices, { partPower: 10, replicas: 3, seed: SEED });
    b.rebalance({ now: 0 });
    return b;
  };

  test('placement of the first 16 partitions', () => {
    expect(firstPartitions(build().ringData().assignment, 16)).toEqual(GOLDEN_FIRST_16);
  });

  test('the ring file bytes', () => {
    const bytes = encodeRingFile(build().ringData());
    expect(bytes.length).toBe(GOLDEN_RING_LENGTH);
    expect(sha256(bytes)).toBe(GOLDEN_RING_SHA256);
  });

  test('after adding a 13th device and rebalancing', () => {
    const b = build();
    b.addDevice({ region: 1, zone: 2, ip: '10.1.2.1', port: 6200, device: 'sdz', weight: 100 });
    const s = b.rebalance({ now: 0 });
    expect(s.movedSlots).toBe(GOLDEN_ADD_MOVED);
    expect(firstPartitions(b.ringData().assignment, 16)).toEqual(GOLDEN_ADD_FIRST_16);
    expect(sha256(encodeRingFile(b.ringData()))).toBe(GOLDEN_ADD_RING_SHA256);
  });

  test('lookups through the golden ring: partitions, primaries, first handoffs', () => {
    const ring = new Ring(decodeRingFile(encodeRingFile(build().ringData())), { prefix: 'pre', suffix: 'suf' });
    const look = (a: string, c?: string, o?: string) => {
      const { partition, nodes } = ring.getNodes(a, c, o);
      return { partition, nodes: nodes.map((d) => d.id), handoffs: [...ring.getMoreNodes(partition)].slice(0, 3).map((d) => d.id) };
    };
    expect([look('a'), look('a', 'c'), look('a', 'c', 'o'), look('AUTH_test', 'photos', 'cat.jpg')]).toEqual(GOLDEN_LOOKUPS);
  });
});

describe('golden: hash path (matches Swift: MD5(prefix + "/a/c/o" + suffix), top bits)', () => {
  // Values computed independently with Python's hashlib, the way Swift's hash_path does.
  test.each([
    [['a'], 'ab349048c4d787b8cac7454c3dc7c95b', 171, 43828],
    [['a', 'c'], '0d25b61566837c3531c8a377fbabc763', 13, 3365],
    [['a', 'c', 'o'], '3c455f4c36c2927865b8822a4cef8a1f', 60, 15429],
    [['AUTH_test', 'photos', 'cat.jpg'], '7abccbb64ac39553294325bb4dc0ecf8', 122, 31420],
    [['AUTH_test', 'café', 'ü'], 'ffee069401c68a282c8e31ed6cfaa0bb', 255, 65518],
  ])('%j', (names, hex, part8, part16) => {
    const [a, c, o] = names as string[];
    const digest = hashPath({ prefix: 'pre', suffix: 'suf' }, a, c, o);
    expect(digest.toString('hex')).toBe(hex);
    expect(partitionOfHash(digest, 8)).toBe(part8);
    expect(partitionOfHash(digest, 16)).toBe(part16);
    expect(partitionOfHash(digest, 0)).toBe(0);
  });
});

// Golden values: read the header before changing any of them.
const GOLDEN_FIRST_16: number[][] = [
  [2, 4, 10],
  [11, 7, 5],
  [3, 7, 10],
  [5, 10, 7],
  [6, 0, 5],
  [10, 8, 0],
  [0, 10, 3],
  [7, 11, 4],
  [1, 9, 7],
  [4, 10, 2],
  [1, 10, 3],
  [5, 7, 2],
  [3, 7, 11],
  [5, 7, 11],
  [1, 6, 11],
  [8, 1, 11],
];
const GOLDEN_RING_LENGTH = 7389;
const GOLDEN_RING_SHA256 = '25ebedd1dfb395848fedb34332da1783dd17eaa8268afe31b9e7f6da6f8a9eae';
const GOLDEN_ADD_MOVED = 236;
const GOLDEN_ADD_FIRST_16: number[][] = [
  [2, 12, 10],
  [11, 7, 5],
  [3, 7, 10],
  [5, 10, 7],
  [6, 0, 5],
  [10, 8, 12],
  [0, 10, 3],
  [7, 11, 4],
  [1, 9, 7],
  [12, 10, 2],
  [1, 10, 3],
  [5, 7, 2],
  [3, 7, 11],
  [5, 7, 11],
  [12, 6, 11],
  [8, 12, 11],
];
const GOLDEN_ADD_RING_SHA256 = 'd6eed4e3a37d7dd3eb53bac0808b3d5d5417aaebbc03b8b97b6346c0af9b1fc3';
const GOLDEN_LOOKUPS: { partition: number; nodes: number[]; handoffs: number[] }[] = [
  { partition: 684, nodes: [4, 8, 1], handoffs: [9, 3, 0] },
  { partition: 52, nodes: [7, 0, 5], handoffs: [10, 6, 4] },
  { partition: 241, nodes: [3, 6, 10], handoffs: [1, 5, 8] },
  { partition: 490, nodes: [9, 5, 6], handoffs: [2, 4, 10] },
];
