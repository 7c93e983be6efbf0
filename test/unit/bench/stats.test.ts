import { alignRows, checkTarget, formatCount, formatMiB, formatMs, formatRate, formatTarget, MIB, percentile, ratePerSecond, summarize } from '../../../tools/bench/stats';
import { parseProcStatCpuTicks, parseProcStatMachine, parseProcStatus } from '../../../tools/bench/proc';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  test('picks the smallest sample covering p% of the samples', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 90)).toBe(90);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0.5)).toBe(1);
  });

  test('rounds the rank up for sizes that do not divide evenly', () => {
    expect(percentile([10, 20, 30], 50)).toBe(20); // rank ceil(1.5) = 2
    expect(percentile([10, 20, 30, 40], 50)).toBe(20); // rank 2
    expect(percentile([10, 20, 30, 40], 51)).toBe(30); // rank ceil(2.04) = 3
    expect(percentile([10, 20, 30], 99)).toBe(30);
  });

  test('a single sample is every percentile', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  test('NaN for no samples, RangeError for p outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  test('sorts numerically (not as strings) without modifying its input', () => {
    const samples = [100, 9, 20, 1, 3];
    const s = summarize(samples);
    expect(samples).toEqual([100, 9, 20, 1, 3]);
    expect(s).toEqual({ count: 5, minMs: 1, meanMs: 26.6, p50Ms: 9, p90Ms: 100, p99Ms: 100, maxMs: 100 });
  });

  test('p99 of 1000 samples ignores the 10 worst', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => (i < 990 ? 1 : 500));
    const s = summarize(samples);
    expect(s.p99Ms).toBe(1);
    expect(s.maxMs).toBe(500);
  });

  test('empty input gives count 0 and NaN statistics', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect(s.p50Ms).toBeNaN();
    expect(s.maxMs).toBeNaN();
  });
});

describe('ratePerSecond', () => {
  test('converts count per milliseconds to per second', () => {
    expect(ratePerSecond(2000, 1000)).toBe(2000);
    expect(ratePerSecond(500, 250)).toBe(2000);
  });
  test('edge cases', () => {
    expect(ratePerSecond(0, 0)).toBe(0);
    expect(ratePerSecond(5, 0)).toBe(Infinity);
  });
});

describe('checkTarget', () => {
  test('atLeast passes at and above the target', () => {
    expect(checkTarget('rate', 'atLeast', 2000, '/s', 2000).verdict).toBe('PASS');
    expect(checkTarget('rate', 'atLeast', 2000, '/s', 1999.9).verdict).toBe('MISS');
  });
  test('below passes strictly under the target', () => {
    expect(checkTarget('p99', 'below', 25, 'ms', 24.99).verdict).toBe('PASS');
    expect(checkTarget('p99', 'below', 25, 'ms', 25).verdict).toBe('MISS');
  });
  test('unmeasured or non-finite values are N/A', () => {
    expect(checkTarget('x', 'below', 1, 'ms', undefined).verdict).toBe('N/A');
    expect(checkTarget('x', 'below', 1, 'ms', NaN).verdict).toBe('N/A');
  });
  test('keeps a note only when given one', () => {
    expect(checkTarget('x', 'below', 1, 'ms', 0)).not.toHaveProperty('note');
    expect(checkTarget('x', 'below', 1, 'ms', 0, 'at C=8').note).toBe('at C=8');
  });
});

describe('formatting', () => {
  test('formatMs scales its precision', () => {
    expect(formatMs(0.4213)).toBe('0.42 ms');
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(1234.5)).toBe('1235 ms');
    expect(formatMs(NaN)).toBe('NaN');
  });
  test('formatRate, formatCount, formatMiB', () => {
    expect(formatRate(12345.6)).toBe('12,346/s');
    expect(formatRate(4.54)).toBe('4.5/s');
    expect(formatCount(100000)).toBe('100,000');
    expect(formatMiB(300 * MIB)).toBe('300.0 MiB');
    expect(formatMiB(undefined)).toBe('n/a');
  });
  test('formatTarget', () => {
    expect(formatTarget(checkTarget('rate', 'atLeast', 2000, '/s', 2500), formatRate)).toBe('PASS  2,500/s (target >= 2,000/s)');
    expect(formatTarget(checkTarget('p99', 'below', 25, 'ms', 30, 'note'), formatMs)).toBe('MISS  30.0 ms (target < 25.0 ms)  [note]');
    expect(formatTarget(checkTarget('p99', 'below', 25, 'ms', undefined), formatMs)).toBe('N/A   not measured (target < 25.0 ms)');
  });
});

describe('alignRows', () => {
  test('pads labels to the widest one and keeps headings and blank lines', () => {
    const text = alignRows(['Heading', ['a', '1'], ['longer label', '2'], '', ['b', '']]);
    expect(text.split('\n')).toEqual(['Heading', '  a             1', '  longer label  2', '', '  b']);
  });
});

describe('/proc parsers', () => {
  test('parseProcStatus reads VmRSS and VmHWM in bytes', () => {
    const text = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(text)).toEqual({ rssBytes: 100 * MIB, hwmBytes: 200 * MIB });
    expect(parseProcStatus('Name:\tzombie\n')).toBeUndefined();
  });
  test('parseProcStatCpuTicks adds utime and stime, even with spaces and parens in the name', () => {
    const fields = ['S', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '250', '50', '0', '0'];
    expect(parseProcStatCpuTicks(`1234 (node) ${fields.join(' ')}`)).toBe(300);
    expect(parseProcStatCpuTicks(`1234 (a (b) c) ${fields.join(' ')}`)).toBe(300);
    expect(parseProcStatCpuTicks('garbage')).toBeUndefined();
  });
});

describe('parseProcStatMachine', () => {
  test('busy excludes idle and iowait; total sums the first eight fields', () => {
    const text = 'cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1 2 3\n';
    expect(parseProcStatMachine(text)).toEqual({ busy: 160, total: 980 });
    expect(parseProcStatMachine('intr 1 2\n')).toBeUndefined();
  });
});
