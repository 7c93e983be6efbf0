import { DEFAULT_MAC_PREFIX, generateMac, normalizeMac } from '../../../controller/domain/ipam';

/** A random source replaying fixed bytes (as r = byte / 256), cycling when it runs out. */
function bytes(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] / 256;
}

describe('generateMac', () => {
  test('uses the Neutron prefix by default', () => {
    expect(DEFAULT_MAC_PREFIX).toBe('fa:16:3e');
    expect(generateMac(undefined, bytes(0x01, 0xab, 0xff))).toBe('fa:16:3e:01:ab:ff');
  });

  test('maps the random range onto full bytes', () => {
    expect(generateMac(DEFAULT_MAC_PREFIX, () => 0)).toBe('fa:16:3e:00:00:00');
    expect(generateMac(DEFAULT_MAC_PREFIX, () => 0.999999)).toBe('fa:16:3e:ff:ff:ff');
  });

  test.each<[string, string]>([
    ['02:00:00:00:00', '02:00:00:00:00:7f'],
    ['AA-BB', 'aa:bb:7f:7f:7f:7f'],
    ['00:11:22:33', '00:11:22:33:7f:7f'],
  ])('prefix %s', (prefix, expected) => {
    expect(generateMac(prefix, bytes(0x7f))).toBe(expected);
  });

  test('an empty prefix yields a locally administered unicast first octet', () => {
    expect(generateMac('', bytes(0xff, 1, 2, 3, 4, 5))).toBe('fe:01:02:03:04:05');
    expect(generateMac('', bytes(0x00, 1, 2, 3, 4, 5))).toBe('02:01:02:03:04:05');
  });

  test('takes ready-made random bytes in order', () => {
    expect(generateMac('fa:16:3e', Uint8Array.of(0x12, 0x34, 0x56))).toBe('fa:16:3e:12:34:56');
    expect(generateMac('fa:16:3e', Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toBe('fa:16:3e:de:ad:be');
    expect(generateMac('', Uint8Array.of(0x01, 0, 0, 0, 0, 1))).toBe('02:00:00:00:00:01');
    expect(() => generateMac('fa:16:3e', Uint8Array.of(1, 2))).toThrow(/ran out of random bytes/);
  });

  test('never returns the all-zero MAC', () => {
    expect(generateMac('00:00:00:00:00', bytes(0, 0, 9))).toBe('00:00:00:00:00:09');
    expect(generateMac('00:00:00:00:00', Uint8Array.of(0, 7))).toBe('00:00:00:00:00:07');
    expect(() => generateMac('00:00:00:00:00', () => 0)).toThrow(RangeError);
    expect(() => generateMac('00:00:00:00:00', Uint8Array.of(0))).toThrow(RangeError);
  });

  test.each(['01:00:5e', 'fa:16:3e:00:00:00', 'fa:16:3', 'zz', 'fa::16'])('rejects prefix %p', (prefix) => {
    expect(() => generateMac(prefix)).toThrow(RangeError);
  });

  test.each([1, -0.1, Number.NaN, 2])('rejects random source value %p', (r) => {
    expect(() => generateMac(DEFAULT_MAC_PREFIX, () => r)).toThrow(RangeError);
  });

  test('random MACs are valid, normalized and keep the prefix', () => {
    for (let i = 0; i < 500; i++) {
      const mac = generateMac();
      expect(normalizeMac(mac)).toBe(mac);
      expect(mac.startsWith('fa:16:3e:')).toBe(true);
    }
    for (let i = 0; i < 500; i++) expect(normalizeMac(generateMac(''))).not.toBeNull();
  });
});

describe('normalizeMac', () => {
  test.each<[string, string]>([
    ['fa:16:3e:01:02:03', 'fa:16:3e:01:02:03'],
    ['FA:16:3E:0A:0B:0C', 'fa:16:3e:0a:0b:0c'],
    ['fa-16-3e-aa-bb-cc', 'fa:16:3e:aa:bb:cc'],
    ['00:00:00:00:00:01', '00:00:00:00:00:01'],
    ['02:00:00:00:00:00', '02:00:00:00:00:00'],
    ['fe:ff:ff:ff:ff:ff', 'fe:ff:ff:ff:ff:ff'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });

  test.each([
    '',
    'fa:16:3e:01:02',
    'fa:16:3e:01:02:03:04',
    'fa:16:3e-01:02:03',
    'fa163e010203',
    'fa.16.3e.01.02.03',
    'fa:16:3e:1:2:3',
    'fa:16:3e:001:02:03',
    'fa:16:3e:01:02:0g',
    ' fa:16:3e:01:02:03',
    'fa:16:3e:01:02:03\n',
    '00:00:00:00:00:00',
    'ff:ff:ff:ff:ff:ff',
    '01:00:5e:00:00:01',
    '33:33:00:00:00:01',
    'fb:16:3e:01:02:03',
  ])('rejects %p', (input) => {
    expect(normalizeMac(input)).toBeNull();
  });
});
