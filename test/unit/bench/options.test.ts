import { benchCidr, DEFAULTS, parseOptions, QUICK, UsageError } from '../../../tools/bench/options';

describe('parseOptions', () => {
  test('defaults', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({ ports: DEFAULTS.ports, stored: DEFAULTS.stored, concurrency: 64, json: false, quick: false, baseline: false });
  });
  test('--quick lowers the sizes but explicit flags win', () => {
    expect(parseOptions(['--quick'])).toMatchObject({ ports: QUICK.ports, stored: QUICK.stored, quick: true });
    expect(parseOptions(['--quick', '--ports', '500'])).toMatchObject({ ports: 500, stored: QUICK.stored });
  });
  test('--flag value and --flag=value, underscores allowed in numbers', () => {
    expect(parseOptions(['--ports=3000', '--stored', '20_000', '--concurrency', '8', '--json', '--baseline', '--seconds=2'])).toMatchObject({
      ports: 3000,
      stored: 20000,
      concurrency: 8,
      json: true,
      baseline: true,
      baselineSeconds: 2,
    });
  });
  test('stored follows a larger --ports when not given', () => {
    expect(parseOptions(['--ports', '200000']).stored).toBe(200000);
  });
  test.each([
    [['--ports']],
    [['--ports', '0']],
    [['--ports', 'ten']],
    [['--concurrency', '-1']],
    [['--json=1']],
    [['--wat']],
    [['--ports', '100', '--stored', '50']],
  ])('rejects %j', (argv) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
  });
});

describe('benchCidr', () => {
  test('a /14 up to its capacity, larger blocks beyond', () => {
    expect(benchCidr(100_000)).toBe('10.0.0.0/14');
    expect(benchCidr(262_000)).toBe('10.0.0.0/14');
    expect(benchCidr(300_000)).toBe('10.0.0.0/13');
    expect(benchCidr(16_000_000)).toBe('10.0.0.0/8');
  });
});
