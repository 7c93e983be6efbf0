import {
  CidrParseError,
  canonicalAddress,
  cidrContains,
  cidrsOverlap,
  firstAddress,
  formatCidr,
  formatIpv4,
  formatIpv6,
  isValidAddress,
  lastAddress,
  makeCidr,
  parseAddress,
  parseCidr,
  parseIpv4,
  parseIpv6,
  tryParseCidr,
  Cidr,
} from '../../../controller/domain/ipam';

const cidr = (text: string): Cidr => parseCidr(text);

describe('IPv4 parse/format', () => {
  test.each<[string, bigint]>([
    ['0.0.0.0', 0n],
    ['255.255.255.255', 0xffffffffn],
    ['10.0.0.1', 0x0a000001n],
    ['192.168.1.254', 0xc0a801fen],
    ['1.2.3.4', 0x01020304n],
    ['100.64.0.0', 0x64400000n],
  ])('%s <-> %s', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
  });

  test.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.-1',
    '01.2.3.4',
    '1.2.3.04',
    '1..3.4',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '0x1.2.3.4',
    'a.b.c.d',
    '1.2.3.4/32',
    '::1',
    '1.2.3.1000',
  ])('rejects %p', (text) => {
    expect(parseIpv4(text)).toBeNull();
    expect(isValidAddress(text, 4)).toBe(false);
  });

  test('format rejects out-of-range values', () => {
    expect(() => formatIpv4(-1n)).toThrow(RangeError);
    expect(() => formatIpv4(1n << 32n)).toThrow(RangeError);
  });
});

describe('IPv6 parse/format', () => {
  test.each<[string, bigint]>([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['2001:db8::', 0x20010db8n << 96n],
    ['2001:db8::1', (0x20010db8n << 96n) | 1n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', (1n << 128n) - 1n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['fe80::1:0:0:1', 0xfe800000000000000001000000000001n],
    ['2001:db8:0:1:1:1:1:1', 0x20010db8000000010001000100010001n],
    ['::ffff:c000:201', 0x00000000000000000000ffffc0000201n],
  ])('%s <-> %s', (text, value) => {
    expect(parseIpv6(text)).toBe(value);
    expect(formatIpv6(value)).toBe(text);
  });

  // Each pair: any accepted spelling -> RFC 5952 canonical text.
  test.each<[string, string]>([
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0001:0000:0000:0000:0000:0000:0000:0000', '1::'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0000', '2001:db8::'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    // A single zero group is not compressed.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    // The longest run wins even when it comes later.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:0:2:0:0:0:0', '1:0:0:2::'],
    // On a tie the first run wins.
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:3:0:0:4', '1::2:3:0:0:4'],
    ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
    // Runs touching either end.
    ['0:0:0:0:0:0:0:5', '::5'],
    ['5:0:0:0:0:0:0:0', '5::'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    // Embedded IPv4 is accepted on input, emitted as hex.
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['::192.0.2.1', '::c000:201'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
  ])('canonicalizes %s -> %s', (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
    expect(canonicalAddress(expected)).toBe(expected);
  });

  test.each([
    '',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '::1:2:3:4:5:6:7:8',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    ':1::',
    '1::2:',
    '12345::',
    'g::',
    '1.2.3.4',
    '::1.2.3',
    '::256.1.1.1',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
    ' ::1',
    '::1 ',
    '::/0',
  ])('rejects %p', (text) => {
    expect(parseIpv6(text)).toBeNull();
    expect(isValidAddress(text, 6)).toBe(false);
  });

  test('round-trips pseudo-random values', () => {
    let x = 0x9e3779b97f4a7c15n;
    const bad: string[] = [];
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 128n) - 1n);
      // Zero out random groups so compression paths are exercised, not just dense addresses.
      let value = x;
      for (let g = 0; g < 8; g++) if (((x >> BigInt(g + 100)) & 1n) === 1n) value &= ~(0xffffn << BigInt(16 * g));
      const text = formatIpv6(value);
      const canonical =
        parseIpv6(text) === value &&
        text === text.toLowerCase() &&
        !/(^|:)0[0-9a-f]/.test(text) &&
        text.split('::').length <= 2 &&
        // A run of 2+ zero groups means something must have been compressed.
        (text.includes('::') || !/(^|:)0:0(:|$)/.test(text));
      if (!canonical) bad.push(`${value.toString(16)} -> ${text}`);
    }
    expect(bad).toEqual([]);
  });

  test('format rejects out-of-range values', () => {
    expect(() => formatIpv6(-1n)).toThrow(RangeError);
    expect(() => formatIpv6(1n << 128n)).toThrow(RangeError);
  });
});

describe('parseAddress / isValidAddress', () => {
  test('detects the version', () => {
    expect(parseAddress('10.0.0.1')).toEqual({ version: 4, value: 0x0a000001n });
    expect(parseAddress('::1')).toEqual({ version: 6, value: 1n });
    expect(parseAddress('nope')).toBeNull();
  });
  test('honours a requested version', () => {
    expect(parseAddress('10.0.0.1', 6)).toBeNull();
    expect(parseAddress('::1', 4)).toBeNull();
    expect(isValidAddress('10.0.0.1')).toBe(true);
    expect(isValidAddress('10.0.0.1', 4)).toBe(true);
    expect(isValidAddress('2001:db8::1', 6)).toBe(true);
  });
});

describe('parseCidr', () => {
  test.each<[string, 4 | 6, bigint, number, bigint]>([
    ['10.0.0.0/24', 4, 0x0a000000n, 24, 256n],
    ['10.0.0.0/8', 4, 0x0a000000n, 8, 1n << 24n],
    ['0.0.0.0/0', 4, 0n, 0, 1n << 32n],
    ['192.168.1.7/32', 4, 0xc0a80107n, 32, 1n],
    ['192.168.1.6/31', 4, 0xc0a80106n, 31, 2n],
    ['2001:db8::/64', 6, 0x20010db8n << 96n, 64, 1n << 64n],
    ['::/0', 6, 0n, 0, 1n << 128n],
    ['::1/128', 6, 1n, 128, 1n],
    ['fd00:1:2:3::/64', 6, 0xfd000001000200030000000000000000n, 64, 1n << 64n],
  ])('%s', (text, version, network, prefixLen, size) => {
    expect(parseCidr(text)).toEqual({ version, network, prefixLen, size });
    expect(tryParseCidr(text)).toEqual({ ok: true, value: { version, network, prefixLen, size } });
  });

  test('canonicalizes on format', () => {
    expect(formatCidr(cidr('2001:DB8:0:0::/64'))).toBe('2001:db8::/64');
    expect(formatCidr(cidr('10.1.0.0/16'))).toBe('10.1.0.0/16');
  });

  test.each<[string, RegExp]>([
    ['10.0.0.1/24', /host bits set.*10\.0\.0\.0\/24/],
    ['10.0.0.128/24', /host bits set/],
    ['192.168.1.1/31', /host bits set.*192\.168\.1\.0\/31/],
    ['2001:db8::1/64', /host bits set.*2001:db8::\/64/],
    ['1.0.0.0/0', /host bits set.*0\.0\.0\.0\/0/],
    ['10.0.0.0', /ADDRESS\/PREFIX/],
    ['10.0.0.0/24/1', /ADDRESS\/PREFIX/],
    ['', /ADDRESS\/PREFIX/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/33', /prefix length.*0 to 32/],
    ['2001:db8::/129', /prefix length.*0 to 128/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/024', /prefix length/],
    ['10.0.0.0/ 24', /prefix length/],
    ['10.0.0.0/2.4', /prefix length/],
    ['10.0.0/24', /not a valid IP address/],
    ['/24', /not a valid IP address/],
    ['zz::/64', /not a valid IP address/],
  ])('rejects %p', (text, reason) => {
    const result = tryParseCidr(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
    expect(() => parseCidr(text)).toThrow(CidrParseError);
    expect(() => parseCidr(text)).toThrow(reason);
  });
});

describe('CIDR helpers', () => {
  test('first/last address', () => {
    const c = cidr('10.0.0.0/24');
    expect(formatIpv4(firstAddress(c))).toBe('10.0.0.0');
    expect(formatIpv4(lastAddress(c))).toBe('10.0.0.255');
    const v6 = cidr('2001:db8::/64');
    expect(formatIpv6(lastAddress(v6))).toBe('2001:db8::ffff:ffff:ffff:ffff');
    expect(lastAddress(cidr('::/0'))).toBe((1n << 128n) - 1n);
  });

  test.each<[string, string, boolean]>([
    ['10.0.0.0/24', '10.0.0.0', true],
    ['10.0.0.0/24', '10.0.0.255', true],
    ['10.0.0.0/24', '10.0.1.0', false],
    ['10.0.0.0/24', '9.255.255.255', false],
    ['10.0.0.0/24', '::a00:1', false],
    ['10.0.0.0/24', 'garbage', false],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', true],
    ['2001:db8::/64', '2001:db8:0:1::', false],
    ['2001:db8::/64', '10.0.0.1', false],
    ['0.0.0.0/0', '255.255.255.255', true],
  ])('cidrContains(%s, %s) = %s', (c, addr, expected) => {
    expect(cidrContains(cidr(c), addr)).toBe(expected);
    const sameFamily = parseAddress(addr, cidr(c).version);
    if (sameFamily !== null) expect(cidrContains(cidr(c), sameFamily.value)).toBe(expected);
    expect(cidrContains(cidr(c), parseAddress(addr))).toBe(expected);
  });

  test.each<[string, string, boolean]>([
    ['10.0.0.0/24', '10.0.0.0/24', true],
    ['10.0.0.0/24', '10.0.0.128/25', true],
    ['10.0.0.0/8', '10.255.0.0/16', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/25', '10.0.0.128/25', false],
    ['0.0.0.0/0', '192.168.0.0/16', true],
    ['2001:db8::/64', '2001:db8::/48', true],
    ['2001:db8::/64', '2001:db8:0:1::/64', false],
    ['::/0', '0.0.0.0/0', false],
  ])('cidrsOverlap(%s, %s) = %s', (a, b, expected) => {
    expect(cidrsOverlap(cidr(a), cidr(b))).toBe(expected);
    expect(cidrsOverlap(cidr(b), cidr(a))).toBe(expected);
  });

  test('makeCidr validates its parts', () => {
    expect(makeCidr(4, 0x0a000000n, 24)).toEqual(cidr('10.0.0.0/24'));
    expect(() => makeCidr(4, 0x0a000001n, 24)).toThrow(/host bits/);
    expect(() => makeCidr(4, 0n, 33)).toThrow(RangeError);
    expect(() => makeCidr(6, 0n, 1.5)).toThrow(RangeError);
  });
});
