import {
  AllocationPool,
  SubnetAddressing,
  SubnetAddressingInput,
  Violation,
  defaultPools,
  parseCidr,
  usableRange,
  validateSubnetAddressing,
} from '../../../controller/domain/ipam';

function ok(input: SubnetAddressingInput): SubnetAddressing {
  const result = validateSubnetAddressing(input);
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.violations)}`);
  return result.value;
}

function violations(input: SubnetAddressingInput): Violation[] {
  const result = validateSubnetAddressing(input);
  if (result.ok) throw new Error(`expected violations, got ${JSON.stringify(result.value)}`);
  return result.violations;
}

const pool = (start: string, end: string): AllocationPool => ({ start, end });

describe('default gateway and pools', () => {
  test.each<[string, string | null, AllocationPool[]]>([
    ['10.0.0.0/24', '10.0.0.1', [pool('10.0.0.2', '10.0.0.254')]],
    ['10.0.0.0/16', '10.0.0.1', [pool('10.0.0.2', '10.0.255.254')]],
    ['192.168.5.0/30', '192.168.5.1', [pool('192.168.5.2', '192.168.5.2')]],
    ['192.168.5.0/29', '192.168.5.1', [pool('192.168.5.2', '192.168.5.6')]],
    // /31 and /32 have no usable addresses once network and broadcast are excluded: no gateway,
    // no pools, and that is not an error.
    ['192.168.5.0/31', null, []],
    ['192.168.5.7/32', null, []],
    ['2001:db8::/64', '2001:db8::1', [pool('2001:db8::2', '2001:db8::ffff:ffff:ffff:ffff')]],
    ['2001:db8::/120', '2001:db8::1', [pool('2001:db8::2', '2001:db8::ff')]],
    ['2001:db8::/127', '2001:db8::1', []],
    ['2001:db8::/126', '2001:db8::1', [pool('2001:db8::2', '2001:db8::3')]],
    ['2001:db8::5/128', null, []],
  ])('%s: gateway %s', (cidr, gatewayIp, pools) => {
    expect(ok({ cidr })).toEqual({ gatewayIp, pools });
  });

  test('no gateway (null) leaves the whole usable range as one pool', () => {
    expect(ok({ cidr: '10.0.0.0/24', gatewayIp: null })).toEqual({
      gatewayIp: null,
      pools: [pool('10.0.0.1', '10.0.0.254')],
    });
    expect(ok({ cidr: '2001:db8::/64', gatewayIp: null }).pools).toEqual([
      pool('2001:db8::1', '2001:db8::ffff:ffff:ffff:ffff'),
    ]);
  });

  test.each<[string, string, AllocationPool[]]>([
    ['10.0.0.0/24', '10.0.0.100', [pool('10.0.0.1', '10.0.0.99'), pool('10.0.0.101', '10.0.0.254')]],
    ['10.0.0.0/24', '10.0.0.254', [pool('10.0.0.1', '10.0.0.253')]],
    ['10.0.0.0/24', '10.0.0.2', [pool('10.0.0.1', '10.0.0.1'), pool('10.0.0.3', '10.0.0.254')]],
    ['192.168.5.0/30', '192.168.5.2', [pool('192.168.5.1', '192.168.5.1')]],
    [
      '2001:db8::/64',
      '2001:db8:0:0:8000::',
      [pool('2001:db8::1', '2001:db8::7fff:ffff:ffff:ffff'), pool('2001:db8::8000:0:0:1', '2001:db8::ffff:ffff:ffff:ffff')],
    ],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', [pool('2001:db8::1', '2001:db8::ffff:ffff:ffff:fffe')]],
  ])('%s: gateway %s splits the default pool', (cidr, gatewayIp, pools) => {
    expect(ok({ cidr, gatewayIp })).toEqual({ gatewayIp, pools });
  });

  test('gateway and pools come back in canonical form', () => {
    expect(
      ok({ cidr: '2001:DB8::/64', gatewayIp: '2001:0DB8::0001', allocationPools: [pool('2001:DB8::A', '2001:db8:0:0::00ff')] }),
    ).toEqual({ gatewayIp: '2001:db8::1', pools: [pool('2001:db8::a', '2001:db8::ff')] });
  });

  test('defaultPools ignores a gateway outside the usable range', () => {
    const c = parseCidr('10.0.0.0/24');
    expect(defaultPools(c, 0x0b000000n)).toEqual([{ start: 0x0a000001n, end: 0x0a0000fen }]);
    expect(usableRange(c)).toEqual({ start: 0x0a000001n, end: 0x0a0000fen });
  });
});

describe('requested allocation pools', () => {
  test('valid pools are accepted and sorted', () => {
    expect(
      ok({
        cidr: '10.0.0.0/24',
        allocationPools: [pool('10.0.0.200', '10.0.0.254'), pool('10.0.0.10', '10.0.0.20'), pool('10.0.0.21', '10.0.0.21')],
      }),
    ).toEqual({
      gatewayIp: '10.0.0.1',
      pools: [pool('10.0.0.10', '10.0.0.20'), pool('10.0.0.21', '10.0.0.21'), pool('10.0.0.200', '10.0.0.254')],
    });
  });

  test('an explicitly empty list means no pools', () => {
    expect(ok({ cidr: '10.0.0.0/24', allocationPools: [] })).toEqual({ gatewayIp: '10.0.0.1', pools: [] });
  });

  test('pools may include the first usable address when the gateway is elsewhere', () => {
    expect(ok({ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.254', allocationPools: [pool('10.0.0.1', '10.0.0.253')] }).pools).toEqual([
      pool('10.0.0.1', '10.0.0.253'),
    ]);
  });

  test('IPv6 pools may run to the last address (there is no broadcast)', () => {
    expect(ok({ cidr: '2001:db8::/64', allocationPools: [pool('2001:db8::10', '2001:db8::ffff:ffff:ffff:ffff')] }).pools).toHaveLength(1);
  });

  test.each<[string, SubnetAddressingInput, Violation[]]>([
    ['start outside cidr', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.1.5', '10.0.0.10')] },
      [{ field: 'allocation_pools[0].start', description: expect.stringMatching(/outside cidr 10\.0\.0\.0\/24/) }]],
    ['end outside cidr', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.5', '10.0.1.10')] },
      [{ field: 'allocation_pools[0].end', description: expect.stringMatching(/outside cidr/) }]],
    ['start after end', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.50', '10.0.0.40')] },
      [{ field: 'allocation_pools[0]', description: expect.stringMatching(/after end/) }]],
    ['includes network address', { cidr: '10.0.0.0/24', gatewayIp: null, allocationPools: [pool('10.0.0.0', '10.0.0.10')] },
      [{ field: 'allocation_pools[0].start', description: expect.stringMatching(/network address/) }]],
    ['includes broadcast', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.0.255')] },
      [{ field: 'allocation_pools[0].end', description: expect.stringMatching(/broadcast address/) }]],
    ['IPv6 includes subnet-router anycast', { cidr: '2001:db8::/64', gatewayIp: null, allocationPools: [pool('2001:db8::', '2001:db8::10')] },
      [{ field: 'allocation_pools[0].start', description: expect.stringMatching(/network address/) }]],
    ['contains default gateway', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.1', '10.0.0.10')] },
      [{ field: 'allocation_pools[0]', description: expect.stringMatching(/contains gateway_ip 10\.0\.0\.1/) }]],
    ['contains explicit gateway', { cidr: '10.0.0.0/24', gatewayIp: '10.0.0.7', allocationPools: [pool('10.0.0.1', '10.0.0.10')] },
      [{ field: 'allocation_pools[0]', description: expect.stringMatching(/10\.0\.0\.7/) }]],
    ['malformed start', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0', '10.0.0.10')] },
      [{ field: 'allocation_pools[0].start', description: expect.stringMatching(/not a valid IPv4 address/) }]],
    ['wrong family', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.2', '::5')] },
      [{ field: 'allocation_pools[0].end', description: expect.stringMatching(/IPv6 address but cidr 10\.0\.0\.0\/24 is IPv4/) }]],
    ['overlap', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.0.20'), pool('10.0.0.20', '10.0.0.30')] },
      [{ field: 'allocation_pools[1]', description: 'overlaps allocation_pools[0]' }]],
    ['overlap reported on the later pool', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.20', '10.0.0.30'), pool('10.0.0.10', '10.0.0.20')] },
      [{ field: 'allocation_pools[1]', description: 'overlaps allocation_pools[0]' }]],
    ['identical pools', { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.0.20'), pool('10.0.0.10', '10.0.0.20')] },
      [{ field: 'allocation_pools[1]', description: 'overlaps allocation_pools[0]' }]],
    ['one pool spanning two others',
      { cidr: '10.0.0.0/24', allocationPools: [pool('10.0.0.10', '10.0.0.100'), pool('10.0.0.20', '10.0.0.30'), pool('10.0.0.50', '10.0.0.60')] },
      [{ field: 'allocation_pools[1]', description: 'overlaps allocation_pools[0]' }, { field: 'allocation_pools[2]', description: 'overlaps allocation_pools[0]' }]],
  ])('%s', (_name, input, expected) => {
    expect(violations(input)).toEqual(expected);
  });

  test('reports every violation at once with the right indexes', () => {
    const found = violations({
      cidr: '10.0.0.0/24',
      gatewayIp: '10.0.0.1',
      allocationPools: [
        pool('10.0.0.2', '10.0.0.50'), // fine
        pool('bogus', '10.0.0.60'), // bad start
        pool('10.0.0.70', '10.0.2.1'), // bad end
        pool('10.0.0.40', '10.0.0.45'), // overlaps [0]
      ],
    });
    expect(found.map((v) => v.field)).toEqual(['allocation_pools[1].start', 'allocation_pools[2].end', 'allocation_pools[3]']);
  });
});

describe('gateway validation', () => {
  test.each<[string, string, RegExp]>([
    ['10.0.0.0/24', '10.0.1.1', /outside cidr/],
    ['10.0.0.0/24', '10.0.0.0', /network address/],
    ['10.0.0.0/24', '10.0.0.255', /broadcast address/],
    ['10.0.0.0/24', 'not-an-ip', /not a valid IPv4 address/],
    ['10.0.0.0/24', '2001:db8::1', /IPv6 address but cidr/],
    ['192.168.5.0/31', '192.168.5.1', /broadcast address/],
    ['2001:db8::/64', '2001:db8::', /network address/],
    ['2001:db8::/64', '2001:db8:1::1', /outside cidr/],
    ['2001:db8::/64', '10.0.0.1', /IPv4 address but cidr 2001:db8::\/64 is IPv6/],
  ])('%s rejects gateway %s', (cidr, gatewayIp, reason) => {
    expect(violations({ cidr, gatewayIp })).toEqual([{ field: 'gateway_ip', description: expect.stringMatching(reason) }]);
  });

  test('an invalid gateway does not hide pool violations', () => {
    const found = violations({ cidr: '10.0.0.0/24', gatewayIp: '10.0.0.0', allocationPools: [pool('10.0.0.9', '10.0.0.8')] });
    expect(found.map((v) => v.field)).toEqual(['gateway_ip', 'allocation_pools[0]']);
  });
});

describe('cidr validation', () => {
  test.each(['10.0.0.1/24', '10.0.0.0/33', 'nonsense', '2001:db8::1/64'])('rejects %p before anything else', (cidr) => {
    const found = violations({ cidr, gatewayIp: 'junk', allocationPools: [pool('x', 'y')] });
    expect(found).toHaveLength(1);
    expect(found[0].field).toBe('cidr');
  });
});
