import { ceilingPerSecond, CONTENDED_CORES, cpuMsPerCall, cpuText, isContended, otherCores, type CpuUse } from '../../../tools/bench/cpu-share';

const use = (over: Partial<CpuUse> = {}): CpuUse => ({ servers: { identity: 0.5 }, clientCores: 0.4, machineCores: 1.0, machineCpus: 2, ...over });

describe('otherCores and isContended', () => {
  test('machine minus the bench and its servers, never negative', () => {
    expect(otherCores(use())).toBeCloseTo(0.1);
    expect(otherCores(use({ machineCores: 0.5 }))).toBe(0);
    expect(otherCores(use({ machineCores: undefined }))).toBeUndefined();
    expect(otherCores(use({ servers: { identity: undefined } }))).toBeCloseTo(0.6);
  });
  test('contended above the threshold only', () => {
    expect(isContended(use())).toBe(false);
    expect(isContended(use({ machineCores: 0.9 + CONTENDED_CORES + 0.01 }))).toBe(true);
    expect(isContended(use({ machineCores: undefined }))).toBe(false);
  });
});

describe('cpuText', () => {
  test('lists servers, the bench and the rest of the machine', () => {
    expect(cpuText(use())).toBe('identity 0.50, bench 0.40, other 0.10 (machine 1.00 of 2 CPUs busy)');
    expect(cpuText(use({ machineCores: 2 }))).toBe('identity 0.50, bench 0.40, other 1.10 (machine 2.00 of 2 CPUs busy) [CONTENDED]');
    expect(cpuText(use({ servers: {}, machineCores: undefined }))).toBe('bench 0.40');
    expect(cpuText(use({ servers: { identity: undefined } }))).toMatch(/^identity n\/a, bench 0.40/);
  });
});

describe('cpuMsPerCall and ceilingPerSecond', () => {
  test('CPU ms per call for each process', () => {
    // 0.5 cores over 2 s = 1 s of CPU for 2,000 calls = 0.5 ms each; the bench 0.4 ms.
    expect(cpuMsPerCall(use(), 2000, 2000)).toEqual({ identity: 0.5, bench: 0.4 });
    expect(cpuMsPerCall(use({ servers: { identity: undefined, controller: 0 } }), 2000, 2000)).toEqual({ bench: 0.4 });
    expect(cpuMsPerCall(use(), 0, 2000)).toEqual({});
    expect(cpuMsPerCall(use(), 10, 0)).toEqual({});
  });
  test('the costliest process sets the ceiling', () => {
    expect(ceilingPerSecond({ identity: 0.5, bench: 0.25 })).toBe(2000);
    expect(ceilingPerSecond({})).toBe(Infinity);
    expect(ceilingPerSecond({ bench: 0 })).toBe(Infinity);
  });
});
