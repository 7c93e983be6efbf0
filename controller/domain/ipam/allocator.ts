/**
 * In-memory address allocator for one subnet.
 *
 * Memory is proportional to the number of allocated addresses, never to pool size, so an IPv6
 * /64 (2^64 addresses) costs the same as a /24. Persistence is the caller's job: rebuild the
 * allocator from stored fixed IPs and mirror every successful allocate/reserve/release.
 */
import { Cidr, formatAddress, lastAddress, parseAddress, parseCidr } from './address';
import { PoolRange, SubnetAddressing, isReservedAddress, poolSize } from './pools';

/** An address as text (any valid spelling) or as its value. */
export type AddressInput = bigint | string;

/**
 * Outcome of {@link PoolAllocator.reserve}:
 * - 'ok': now allocated;
 * - 'in-use': already allocated;
 * - 'outside-subnet': not in the subnet's CIDR (including an address of the other IP version);
 * - 'gateway': the subnet's gateway, and options.allowGateway was not set;
 * - 'reserved': the network address or the IPv4 broadcast;
 * - 'invalid': not parseable as an IP address at all.
 */
export type ReserveResult = 'ok' | 'in-use' | 'outside-subnet' | 'gateway' | 'reserved' | 'invalid';

/** Everything a {@link PoolAllocator} needs to know about its subnet. */
export interface PoolAllocatorOptions {
  readonly cidr: Cidr;
  /** The subnet's gateway, or null when it has none. */
  readonly gatewayIp: AddressInput | null;
  /**
   * Effective allocation pools (e.g. SubnetAddressing.pools); must be inside the CIDR, disjoint,
   * and avoid the network address, IPv4 broadcast and gateway.
   */
  readonly pools: readonly { readonly start: AddressInput; readonly end: AddressInput }[];
  /** Addresses already held by ports, gateway included; all must be inside the CIDR. */
  readonly allocated?: Iterable<AddressInput>;
}

/** Options for {@link PoolAllocator.reserve}. */
export interface ReserveOptions {
  /** Router interface ports legitimately take the gateway address; other ports must not. */
  readonly allowGateway?: boolean;
}

/**
 * Hands out addresses from a subnet's allocation pools and tracks specifically requested ones.
 *
 * allocate() walks a cursor forward through the pools and wraps around, so a released address is
 * reused only after the rest of the pools have been offered: peers' ARP/ND caches and security
 * group rules keyed on an old port's address get time to age out before the address reappears.
 */
export class PoolAllocator {
  private readonly cidr: Cidr;
  private readonly gateway: bigint | null;
  private readonly pools: readonly PoolRange[];
  private readonly allocated = new Set<bigint>();
  private readonly poolCapacity: bigint;
  private allocatedInPools = 0;
  private cursorPool = 0;
  private cursor: bigint;

  /**
   * Builds an allocator from a validated subnet (the output of validateSubnetAddressing).
   * Throws RangeError on inconsistent input.
   */
  static fromSubnet(
    cidrText: string,
    addressing: SubnetAddressing,
    allocated: Iterable<AddressInput> = [],
  ): PoolAllocator {
    return new PoolAllocator({ cidr: parseCidr(cidrText), gatewayIp: addressing.gatewayIp, pools: addressing.pools, allocated });
  }

  /**
   * Throws RangeError on unparseable addresses, or if pools overlap, leave the CIDR, or cover
   * the network address, IPv4 broadcast or gateway; CidrParseError from fromSubnet's CIDR.
   */
  constructor(options: PoolAllocatorOptions) {
    this.cidr = options.cidr;
    this.gateway = options.gatewayIp === null ? null : this.required(options.gatewayIp);
    this.pools = options.pools
      .map((p) => ({ start: this.required(p.start), end: this.required(p.end) }))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.checkPools();
    this.poolCapacity = this.pools.reduce((sum, p) => sum + poolSize(p), 0n);
    this.cursor = this.pools.length > 0 ? this.pools[0].start : 0n;
    for (const addr of options.allocated ?? []) {
      const value = this.required(addr);
      if (!this.inCidr(value)) throw new RangeError(`allocated address ${String(addr)} is not inside the subnet`);
      this.add(value);
    }
  }

  /**
   * Allocates the next free pool address at or after the cursor, or returns null when the pools
   * are exhausted. Exhaustion is known from the free count before scanning, so the scan always
   * ends: it skips only allocated addresses, at most allocatedCount() of them. The cursor only
   * moves forward, so each allocated address is skipped at most once per lap of the pools, which
   * makes the cost O(1) amortized unless a nearly full pool is churned by release/allocate pairs.
   */
  allocate(): string | null {
    if (this.freeCount() === 0n) return null;
    for (;;) {
      const candidate = this.cursor;
      this.advanceCursor();
      if (!this.allocated.has(candidate)) {
        this.add(candidate);
        return formatAddress(candidate, this.cidr.version);
      }
    }
  }

  /**
   * Allocates a specific address. Any address in the CIDR is allowed, inside the pools or not
   * (as in Neutron), except the network address, the IPv4 broadcast and, unless
   * options.allowGateway, the gateway.
   */
  reserve(addr: AddressInput, options: ReserveOptions = {}): ReserveResult {
    const value = this.toValue(addr);
    if (value === null) {
      return typeof addr === 'string' && parseAddress(addr) !== null ? 'outside-subnet' : 'invalid';
    }
    if (!this.inCidr(value)) return 'outside-subnet';
    if (isReservedAddress(this.cidr, value)) return 'reserved';
    if (value === this.gateway && options.allowGateway !== true) return 'gateway';
    if (this.allocated.has(value)) return 'in-use';
    this.add(value);
    return 'ok';
  }

  /** Frees an address. Returns false if it was not allocated. */
  release(addr: AddressInput): boolean {
    const value = this.toValue(addr);
    if (value === null || !this.allocated.delete(value)) return false;
    if (this.inPools(value)) this.allocatedInPools--;
    return true;
  }

  /** True if the address is currently allocated (from a pool or reserved). */
  isAllocated(addr: AddressInput): boolean {
    const value = this.toValue(addr);
    return value !== null && this.allocated.has(value);
  }

  /** Number of pool addresses still available to allocate(). */
  freeCount(): bigint {
    return this.poolCapacity - BigInt(this.allocatedInPools);
  }

  /** Number of allocated addresses, including reserved ones outside the pools. */
  allocatedCount(): number {
    return this.allocated.size;
  }

  private add(value: bigint): void {
    if (this.allocated.has(value)) return;
    this.allocated.add(value);
    if (this.inPools(value)) this.allocatedInPools++;
  }

  private advanceCursor(): void {
    if (this.cursor < this.pools[this.cursorPool].end) {
      this.cursor++;
      return;
    }
    this.cursorPool = (this.cursorPool + 1) % this.pools.length;
    this.cursor = this.pools[this.cursorPool].start;
  }

  private toValue(addr: AddressInput): bigint | null {
    if (typeof addr === 'bigint') return addr;
    return parseAddress(addr, this.cidr.version)?.value ?? null;
  }

  private required(addr: AddressInput): bigint {
    const value = this.toValue(addr);
    if (value === null) throw new RangeError(`'${String(addr)}' is not an IPv${this.cidr.version} address`);
    return value;
  }

  private inCidr(value: bigint): boolean {
    return value >= this.cidr.network && value <= lastAddress(this.cidr);
  }

  /** Binary search: pools are sorted and disjoint. */
  private inPools(value: bigint): boolean {
    let lo = 0;
    let hi = this.pools.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const pool = this.pools[mid];
      if (value < pool.start) hi = mid - 1;
      else if (value > pool.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private checkPools(): void {
    let previous: PoolRange | undefined;
    for (const pool of this.pools) {
      const text = `${formatAddress(pool.start, this.cidr.version)}-${formatAddress(pool.end, this.cidr.version)}`;
      if (pool.start > pool.end) throw new RangeError(`pool ${text} is empty`);
      if (!this.inCidr(pool.start) || !this.inCidr(pool.end)) {
        throw new RangeError(`pool ${text} is not inside the subnet`);
      }
      if (pool.start === this.cidr.network || isReservedAddress(this.cidr, pool.end)) {
        throw new RangeError(`pool ${text} covers the network or broadcast address`);
      }
      if (this.gateway !== null && this.gateway >= pool.start && this.gateway <= pool.end) {
        throw new RangeError(`pool ${text} contains the gateway`);
      }
      if (previous !== undefined && pool.start <= previous.end) {
        throw new RangeError(`pool ${text} overlaps another pool`);
      }
      previous = pool;
    }
  }
}
