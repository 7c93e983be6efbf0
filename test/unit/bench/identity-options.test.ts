import {
  DEFAULT_CHANNELS,
  DEFAULT_SCRYPT_LN,
  FULL_PLAN,
  IdentityUsageError,
  parseChannelList,
  parseIdentityOptions,
  planFor,
  QUICK_CHANNELS,
  QUICK_PLAN,
  QUICK_SCRYPT_LN,
} from '../../../tools/bench/identity-options';

describe('parseIdentityOptions', () => {
  test('defaults', () => {
    expect(parseIdentityOptions([])).toEqual({ json: false, quick: false, help: false, scryptLn: DEFAULT_SCRYPT_LN, channels: [...DEFAULT_CHANNELS], deadlineMs: 30_000 });
  });
  test('--quick lowers scrypt cost and channels; explicit flags win', () => {
    expect(parseIdentityOptions(['--quick'])).toMatchObject({ quick: true, scryptLn: QUICK_SCRYPT_LN, channels: [...QUICK_CHANNELS] });
    expect(parseIdentityOptions(['--quick', '--scrypt-ln', '14', '--channels=4'])).toMatchObject({ quick: true, scryptLn: 14, channels: [4] });
    expect(parseIdentityOptions(['--scrypt-ln=12', '--quick'])).toMatchObject({ scryptLn: 12 });
  });
  test('--json, --deadline-ms, --help', () => {
    expect(parseIdentityOptions(['--json', '--deadline-ms', '5_000', '-h'])).toMatchObject({ json: true, deadlineMs: 5000, help: true });
  });
  test('errors', () => {
    expect(() => parseIdentityOptions(['--scrypt-ln', '9'])).toThrow(IdentityUsageError);
    expect(() => parseIdentityOptions(['--scrypt-ln', '21'])).toThrow(IdentityUsageError);
    expect(() => parseIdentityOptions(['--scrypt-ln'])).toThrow(/needs a value/);
    expect(() => parseIdentityOptions(['--scrypt-ln', '--json'])).toThrow(/needs a value/);
    expect(() => parseIdentityOptions(['--json=1'])).toThrow(/takes no value/);
    expect(() => parseIdentityOptions(['--bogus'])).toThrow(/unknown argument/);
    expect(() => parseIdentityOptions(['--channels', '0'])).toThrow(IdentityUsageError);
    expect(() => parseIdentityOptions(['--channels', '65'])).toThrow(IdentityUsageError);
  });
});

describe('parseChannelList', () => {
  test('sorted and deduplicated', () => {
    expect(parseChannelList('--channels', '4, 1,2,4')).toEqual([1, 2, 4]);
  });
  test('rejects empty and malformed lists', () => {
    expect(() => parseChannelList('--channels', '')).toThrow(IdentityUsageError);
    expect(() => parseChannelList('--channels', '1,,2')).toThrow(IdentityUsageError);
    expect(() => parseChannelList('--channels', '1,x')).toThrow(IdentityUsageError);
    expect(() => parseChannelList('--channels', undefined)).toThrow(IdentityUsageError);
  });
});

describe('planFor', () => {
  test('full and quick plans; a copy each time', () => {
    expect(planFor({ quick: false })).toEqual(FULL_PLAN);
    expect(planFor({ quick: true })).toEqual(QUICK_PLAN);
    expect(planFor({ quick: false })).not.toBe(FULL_PLAN);
  });
  test('the brief: 3 s local loops, 5 s gRPC at C=64, password at C=8, rescope at C=64, 1,000 revocations', () => {
    expect(FULL_PLAN).toMatchObject({ localMs: 3000, grpcMs: 5000, validateConcurrency: 64, passwordConcurrency: 8, rescopeConcurrency: 64, localRevocationEvents: 1000, e2eMs: 3000 });
  });
  test('quick is shorter everywhere it matters', () => {
    for (const k of ['localMs', 'grpcMs', 'passwordMs', 'rescopeMs', 'e2eMs'] as const) expect(QUICK_PLAN[k]).toBeLessThan(FULL_PLAN[k]);
  });
});
