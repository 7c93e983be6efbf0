import {
  AllocationPool,
  PoolAllocator,
  ReserveResult,
  SubnetAddressingInput,
  formatAddress,
  lastAddress,
  parseAddress,
  parseCidr,
  validateSubnetAddressing,
} from '../../../controller/domain/ipam';
import { prng } from '../seeded-random';

/**
 * Reference model: the pools flattened to an explicit list, a Set of allocated addresses and a
 * cursor index, i.e. the obvious O(pool size) implementation the real allocator must agree with.
 */
class Model {
  readonly allocated = new Set<string>();
  private cursor = 0;
  constructor(
    readonly members: string[],
    readonly inCidr: (addr: string) => boolean,
    readonly reservedAddrs: Set<string>,
    readonly gateway: string | null,
  ) {}

  free(): number {
    return this.members.filter((m) => !this.allocated.has(m)).length;
  }

  allocate(): string | null {
    for (let i = 0; i < this.members.length; i++) {
      const idx = (this.cursor + i) % this.members.length;
      if (!this.allocated.has(this.members[idx])) {
        this.cursor = (idx + 1) % this.members.length;
        this.allocated.add(this.members[idx]);
        return this.members[idx];
      }
    }
    return null;
  }

  reserve(addr: string, allowGateway: boolean): ReserveResult {
    if (!this.inCidr(addr)) return 'outside-subnet';
    if (this.reservedAddrs.has(addr)) return 'reserved';
    if (addr === this.gateway && !allowGateway) return 'gateway';
    if (this.allocated.has(addr)) return 'in-use';
    this.allocated.add(addr);
    return 'ok';
  }

  release(addr: string): boolean {
    return this.allocated.delete(addr);
  }
}

/** Plain comparison: a jest expect() per step would dominate the run time of thousands of steps. */
function same<T extends string | number | bigint | boolean | null>(context: string, actual: T, expected: T): void {
  if (actual !== expected) throw new Error(`${context}: got ${String(actual)}, expected ${String(expected)}`);
}

interface Scenario {
  readonly name: string;
  readonly input: SubnetAddressingInput;
}

const scenarios: Scenario[] = [
  { name: 'IPv4 /27 default pools', input: { cidr: '10.1.2.32/27' } },
  { name: 'IPv4 /26 gateway mid-range', input: { cidr: '10.1.2.0/26', gatewayIp: '10.1.2.30' } },
  {
    name: 'IPv4 /26 three custom pools',
    input: {
      cidr: '10.1.2.0/26',
      allocationPools: [
        { start: '10.1.2.40', end: '10.1.2.44' },
        { start: '10.1.2.5', end: '10.1.2.9' },
        { start: '10.1.2.20', end: '10.1.2.20' },
      ] as AllocationPool[],
    },
  },
  { name: 'IPv6 /122 default pools', input: { cidr: 'fd00:0:0:7::/122' } },
  { name: 'IPv6 /123 no gateway', input: { cidr: 'fd00:0:0:7::20/123', gatewayIp: null } },
];

const SEEDS = [1, 2, 3, 42, 1337, 20240601];
const STEPS = 3000;

describe.each(scenarios)('$name', ({ input }) => {
  test.each(SEEDS)('random operations agree with the reference model (seed %i)', (seed) => {
    const validated = validateSubnetAddressing(input);
    if (!validated.ok) throw new Error(JSON.stringify(validated.violations));
    const cidr = parseCidr(input.cidr);
    const fmt = (v: bigint): string => formatAddress(v, cidr.version);
    const value = (text: string): bigint => {
      const p = parseAddress(text, cidr.version);
      if (p === null) throw new Error(text);
      return p.value;
    };

    const members: string[] = [];
    for (const p of validated.value.pools) {
      for (let v = value(p.start); v <= value(p.end); v++) members.push(fmt(v));
    }
    const reservedAddrs = new Set([fmt(cidr.network)]);
    if (cidr.version === 4) reservedAddrs.add(fmt(lastAddress(cidr)));
    const model = new Model(
      members,
      (addr) => {
        const p = parseAddress(addr, cidr.version);
        return p !== null && p.value >= cidr.network && p.value <= lastAddress(cidr);
      },
      reservedAddrs,
      validated.value.gatewayIp,
    );

    const rand = prng(seed);
    // Seed some pre-existing allocations so construction-time accounting is exercised too.
    const initial: string[] = [];
    for (const m of members) if (rand() < 0.2) initial.push(m);
    for (const a of initial) model.allocated.add(a);
    const allocator = PoolAllocator.fromSubnet(input.cidr, validated.value, initial);

    // Candidate addresses: the whole CIDR plus a few just outside it and one of the other family.
    const randomAddress = (): string => {
      const offset = BigInt(Math.floor(rand() * (Number(cidr.size) + 4))) - 2n;
      const v = cidr.network + offset;
      if (rand() < 0.02) return cidr.version === 4 ? '2001:db8::1' : '192.0.2.1';
      return v < 0n ? fmt(0n) : fmt(v);
    };

    let allocations = 0;
    let exhaustions = 0;
    const outcomes = new Set<ReserveResult>();
    for (let step = 0; step < STEPS; step++) {
      const r = rand();
      const context = `seed ${seed} step ${step}`;
      // Weight allocate above release so the pools regularly fill up and exhaustion is hit.
      if (r < 0.45) {
        const got = allocator.allocate();
        same(`${context} allocate`, got, model.allocate());
        if (got !== null) allocations++;
        else exhaustions++;
      } else if (r < 0.75) {
        const addr = randomAddress();
        same(`${context} release ${addr}`, allocator.release(addr), model.release(addr));
      } else {
        const addr = rand() < 0.1 && model.gateway !== null ? model.gateway : randomAddress();
        const allowGateway = rand() < 0.5;
        const got = allocator.reserve(addr, { allowGateway });
        same(`${context} reserve ${addr} ${allowGateway}`, got, model.reserve(addr, allowGateway));
        outcomes.add(got);
      }
      same(`${context} freeCount`, allocator.freeCount(), BigInt(model.free()));
      same(`${context} allocatedCount`, allocator.allocatedCount(), model.allocated.size);
      const probe = randomAddress();
      same(`${context} isAllocated ${probe}`, allocator.isAllocated(probe), model.allocated.has(probe));
    }
    // Guard against a vacuous run: the sequence must have exercised the interesting paths.
    expect(allocations).toBeGreaterThan(100);
    expect(exhaustions).toBeGreaterThan(0);
    const expectedOutcomes = ['ok', 'in-use', 'outside-subnet', 'reserved'];
    if (model.gateway !== null) expectedOutcomes.push('gateway');
    for (const o of expectedOutcomes) expect(outcomes).toContain(o);
  });
});
