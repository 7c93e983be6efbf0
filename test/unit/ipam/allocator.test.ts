import {
  AllocationPool,
  PoolAllocator,
  SubnetAddressingInput,
  parseCidr,
  validateSubnetAddressing,
} from '../../../controller/domain/ipam';

function allocatorFor(input: SubnetAddressingInput, allocated: Iterable<bigint | string> = []): PoolAllocator {
  const result = validateSubnetAddressing(input);
  if (!result.ok) throw new Error(JSON.stringify(result.violations));
  return PoolAllocator.fromSubnet(input.cidr, result.value, allocated);
}

function drain(allocator: PoolAllocator, limit: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < limit; i++) {
    const addr = allocator.allocate();
    if (addr === null) break;
    out.push(addr);
  }
  return out;
}

const pool = (start: string, end: string): AllocationPool => ({ start, end });

describe('PoolAllocator.allocate', () => {
  test('hands out a whole /24 without duplicates, then reports exhaustion', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/24' });
    expect(a.freeCount()).toBe(253n);
    const got = drain(a, 1000);
    expect(got).toHaveLength(253);
    expect(new Set(got).size).toBe(253);
    const expected = Array.from({ length: 253 }, (_, i) => `10.0.0.${i + 2}`);
    expect(got).toEqual(expected);
    expect(got).not.toContain('10.0.0.1');
    expect(a.allocate()).toBeNull();
    expect(a.allocate()).toBeNull();
    expect(a.freeCount()).toBe(0n);
    expect(a.allocatedCount()).toBe(253);
  });

  test('release then re-allocate returns the freed address once exhausted', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/24' });
    drain(a, 1000);
    expect(a.release('10.0.0.77')).toBe(true);
    expect(a.isAllocated('10.0.0.77')).toBe(false);
    expect(a.freeCount()).toBe(1n);
    expect(a.allocate()).toBe('10.0.0.77');
    expect(a.allocate()).toBeNull();
  });

  test('a released address is not reused before the cursor wraps around', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/29' }); // pool .2-.6
    expect(drain(a, 3)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(a.release('10.0.0.2')).toBe(true);
    expect(a.allocate()).toBe('10.0.0.5');
    expect(a.allocate()).toBe('10.0.0.6');
    // Wraps to the pool start and picks up the released address.
    expect(a.allocate()).toBe('10.0.0.2');
    expect(a.allocate()).toBeNull();
  });

  test('cursor wraps across multiple pools and skips allocated addresses', () => {
    const a = allocatorFor({
      cidr: '10.0.0.0/24',
      allocationPools: [pool('10.0.0.20', '10.0.0.21'), pool('10.0.0.10', '10.0.0.12')],
    });
    expect(drain(a, 10)).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.20', '10.0.0.21']);
    a.release('10.0.0.20');
    a.release('10.0.0.11');
    expect(a.freeCount()).toBe(2n);
    expect(drain(a, 10)).toEqual(['10.0.0.11', '10.0.0.20']);
    a.release('10.0.0.21');
    a.release('10.0.0.10');
    expect(drain(a, 10)).toEqual(['10.0.0.21', '10.0.0.10']);
  });

  test('skips addresses that were reserved ahead of the cursor', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/29' });
    expect(a.reserve('10.0.0.3')).toBe('ok');
    expect(a.reserve('10.0.0.4')).toBe('ok');
    expect(drain(a, 10)).toEqual(['10.0.0.2', '10.0.0.5', '10.0.0.6']);
  });

  test('exhaustion on a tiny pool', () => {
    const a = allocatorFor({ cidr: '192.168.9.0/30' });
    expect(a.freeCount()).toBe(1n);
    expect(a.allocate()).toBe('192.168.9.2');
    for (let i = 0; i < 5; i++) expect(a.allocate()).toBeNull();
  });

  test.each(['192.168.9.0/31', '192.168.9.9/32', '2001:db8::/127'])('%s has nothing to allocate', (cidr) => {
    const a = allocatorFor({ cidr });
    expect(a.freeCount()).toBe(0n);
    expect(a.allocate()).toBeNull();
  });

  test('explicitly empty pools allocate nothing but still accept fixed IPs', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/24', allocationPools: [] });
    expect(a.allocate()).toBeNull();
    expect(a.reserve('10.0.0.9')).toBe('ok');
    expect(a.allocatedCount()).toBe(1);
  });

  test('IPv6 /64: 10,000 distinct allocations without enumerating the pool', () => {
    const a = allocatorFor({ cidr: '2001:db8:1:2::/64' });
    const total = (1n << 64n) - 2n; // minus the subnet-router anycast and the gateway
    expect(a.freeCount()).toBe(total);
    const got = drain(a, 10_000);
    expect(got).toHaveLength(10_000);
    expect(new Set(got).size).toBe(10_000);
    expect(got[0]).toBe('2001:db8:1:2::2');
    expect(got[9_999]).toBe('2001:db8:1:2::2711');
    expect(a.freeCount()).toBe(total - 10_000n);
    expect(a.allocatedCount()).toBe(10_000);
    expect(a.isAllocated('2001:DB8:1:2:0:0:0:2')).toBe(true);
  });

  test('IPv6 wrap-around at the top of a /64', () => {
    const a = allocatorFor({
      cidr: '2001:db8::/64',
      allocationPools: [pool('2001:db8::ffff:ffff:ffff:fffe', '2001:db8::ffff:ffff:ffff:ffff')],
    });
    expect(drain(a, 5)).toEqual(['2001:db8::ffff:ffff:ffff:fffe', '2001:db8::ffff:ffff:ffff:ffff']);
    a.release('2001:db8::ffff:ffff:ffff:fffe');
    expect(a.allocate()).toBe('2001:db8::ffff:ffff:ffff:fffe');
  });
});

describe('PoolAllocator.reserve', () => {
  test.each<[string, string, string, boolean, string]>([
    ['gateway', '10.0.0.0/24', '10.0.0.1', false, 'gateway'],
    ['gateway for a router port', '10.0.0.0/24', '10.0.0.1', true, 'ok'],
    ['network', '10.0.0.0/24', '10.0.0.0', true, 'reserved'],
    ['broadcast', '10.0.0.0/24', '10.0.0.255', true, 'reserved'],
    ['outside', '10.0.0.0/24', '10.0.1.5', false, 'outside-subnet'],
    ['other family', '10.0.0.0/24', '::1', false, 'outside-subnet'],
    ['garbage', '10.0.0.0/24', '10.0.0.300', false, 'invalid'],
    ['free pool address', '10.0.0.0/24', '10.0.0.50', false, 'ok'],
    ['IPv6 subnet-router anycast', '2001:db8::/64', '2001:db8::', true, 'reserved'],
    ['IPv6 last address (no broadcast)', '2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', false, 'ok'],
    ['IPv6 gateway', '2001:db8::/64', '2001:db8::1', false, 'gateway'],
    ['IPv6 outside', '2001:db8::/64', '2001:db8:0:1::5', false, 'outside-subnet'],
    ['IPv4 on IPv6 subnet', '2001:db8::/64', '10.0.0.5', false, 'outside-subnet'],
  ])('%s', (_name, cidr, addr, allowGateway, expected) => {
    const a = allocatorFor({ cidr });
    const before = a.freeCount();
    expect(a.reserve(addr, { allowGateway })).toBe(expected);
    expect(a.isAllocated(addr)).toBe(expected === 'ok');
    expect(a.allocatedCount()).toBe(expected === 'ok' ? 1 : 0);
    // Only a pool address reduces what allocate() can hand out.
    const inPool = expected === 'ok' && addr !== '10.0.0.1';
    expect(a.freeCount()).toBe(inPool ? before - 1n : before);
  });

  test('bigint addresses are accepted', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/24' });
    expect(a.reserve(0x0a000005n)).toBe('ok');
    expect(a.isAllocated('10.0.0.5')).toBe(true);
    expect(a.reserve(0x0b000005n)).toBe('outside-subnet');
    expect(a.reserve(-1n)).toBe('outside-subnet');
  });

  test('a second reserve of the same address is in-use, whatever its spelling', () => {
    const a = allocatorFor({ cidr: '2001:db8::/64' });
    expect(a.reserve('2001:db8::a')).toBe('ok');
    expect(a.reserve('2001:DB8:0::000A')).toBe('in-use');
    const b = allocatorFor({ cidr: '10.0.0.0/24' });
    expect(b.allocate()).toBe('10.0.0.2');
    expect(b.reserve('10.0.0.2')).toBe('in-use');
  });

  test('addresses outside the pools but inside the CIDR do not affect the free count', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.100', '10.0.0.101')] });
    expect(a.reserve('10.0.0.5')).toBe('ok');
    expect(a.freeCount()).toBe(2n);
    expect(drain(a, 5)).toEqual(['10.0.0.100', '10.0.0.101']);
    expect(a.release('10.0.0.5')).toBe(true);
    expect(a.freeCount()).toBe(0n);
    expect(a.allocatedCount()).toBe(2);
  });
});

describe('PoolAllocator.release and construction', () => {
  test('release of an unallocated or invalid address is a no-op', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/24' });
    expect(a.release('10.0.0.9')).toBe(false);
    expect(a.release('junk')).toBe(false);
    expect(a.release('::9')).toBe(false);
    expect(a.freeCount()).toBe(253n);
  });

  test('starts from existing allocations (strings, bigints, duplicates)', () => {
    const a = allocatorFor({ cidr: '10.0.0.0/29' }, ['10.0.0.2', 0x0a000003n, '10.0.0.3', '10.0.0.1']);
    expect(a.allocatedCount()).toBe(3);
    expect(a.freeCount()).toBe(3n); // .4 .5 .6; the gateway .1 is not in a pool
    expect(drain(a, 10)).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(a.reserve('10.0.0.1', { allowGateway: true })).toBe('in-use');
  });

  test('rejects inconsistent input', () => {
    const cidr = parseCidr('10.0.0.0/24');
    const base = 0x0a000000n;
    const make = (pools: { start: bigint; end: bigint }[], allocated: (bigint | string)[] = []): PoolAllocator =>
      new PoolAllocator({ cidr, gatewayIp: base + 1n, pools, allocated });
    expect(() => make([{ start: base + 10n, end: base + 20n }, { start: base + 20n, end: base + 30n }])).toThrow(/overlaps/);
    expect(() => make([{ start: base + 10n, end: base + 300n }])).toThrow(/not inside/);
    expect(() => make([{ start: base, end: base + 5n }])).toThrow(/network or broadcast/);
    expect(() => make([{ start: base + 200n, end: base + 255n }])).toThrow(/network or broadcast/);
    expect(() => make([{ start: base + 1n, end: base + 5n }])).toThrow(/gateway/);
    expect(() => make([{ start: base + 9n, end: base + 5n }])).toThrow(/empty/);
    expect(() => make([], ['10.0.1.1'])).toThrow(/not inside/);
    expect(() => make([], ['nope'])).toThrow(RangeError);
    expect(() => new PoolAllocator({ cidr, gatewayIp: '10.0.0.x', pools: [] })).toThrow(RangeError);
    expect(() => new PoolAllocator({ cidr, gatewayIp: null, pools: [{ start: '10.0.0.5', end: '::6' }] })).toThrow(RangeError);
    expect(() => PoolAllocator.fromSubnet('10.0.0.1/24', { gatewayIp: null, pools: [] })).toThrow(/host bits/);
  });

  test('accepts pools and gateway as text or values interchangeably', () => {
    const cidr = parseCidr('2001:db8::/64');
    const fromText = new PoolAllocator({ cidr, gatewayIp: '2001:DB8::1', pools: [{ start: '2001:db8::10', end: '2001:db8::11' }] });
    const fromValues = new PoolAllocator({
      cidr,
      gatewayIp: cidr.network + 1n,
      pools: [{ start: cidr.network + 0x10n, end: cidr.network + 0x11n }],
    });
    for (const a of [fromText, fromValues]) {
      expect(a.reserve('2001:db8::1')).toBe('gateway');
      expect(drain(a, 5)).toEqual(['2001:db8::10', '2001:db8::11']);
    }
  });
});
