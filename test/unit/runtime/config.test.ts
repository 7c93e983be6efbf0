import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { applyEnv, ConfigError, ConfigReader, readConfigFile } from '../../../services/runtime/config';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('ConfigError', () => {
  test('lists every problem in its message', () => {
    const err = new ConfigError(['a: bad', 'b: worse']);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConfigError');
    expect(err.problems).toEqual(['a: bad', 'b: worse']);
    expect(err.message).toBe('invalid configuration:\n  - a: bad\n  - b: worse');
  });
});

describe('readConfigFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-config-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('no path (undefined or empty) means an empty config', () => {
    expect(readConfigFile(undefined)).toEqual({});
    expect(readConfigFile('')).toEqual({});
  });

  test('reads a JSON object', () => {
    const p = write('c.json', JSON.stringify({ listen: '0.0.0.0:1', store: { sync: true } }));
    expect(readConfigFile(p)).toEqual({ listen: '0.0.0.0:1', store: { sync: true } });
  });

  test('a missing file names the path', () => {
    const p = path.join(dir, 'nope.json');
    const err = configError(() => readConfigFile(p));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(`cannot read config file ${p}`);
    expect(err.problems[0]).toContain('ENOENT');
  });

  test('a directory is not readable as a config file', () => {
    const err = configError(() => readConfigFile(dir));
    expect(err.problems[0]).toMatch(new RegExp(`^cannot read config file ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  });

  test('an unreadable (permission-denied) file is reported, unless running as root', () => {
    const p = write('secret.json', '{}');
    chmodSync(p, 0o000);
    if (process.getuid?.() === 0) {
      expect(readConfigFile(p)).toEqual({});
      return;
    }
    const err = configError(() => readConfigFile(p));
    expect(err.problems[0]).toContain(`cannot read config file ${p}`);
    expect(err.problems[0]).toContain('EACCES');
  });

  test('invalid JSON is reported with the path', () => {
    const p = write('bad.json', '{ "listen": ');
    const err = configError(() => readConfigFile(p));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(new RegExp(`^config file .*bad\\.json is not valid JSON: `));
  });

  test.each(['[1, 2]', 'null', '"text"', '42', 'true'])('a JSON non-object (%s) is rejected', (text) => {
    const p = write('x.json', text);
    expect(configError(() => readConfigFile(p)).problems).toEqual([`config file ${p} must hold a JSON object`]);
  });
});

describe('applyEnv', () => {
  const map = { WEFT_LISTEN: 'listen', WEFT_SYNC: 'store.sync', WEFT_DEEP: 'a.b.c', WEFT_RANGES: 'segments.ranges', WEFT_OBJ: 'obj' };

  test('does not modify its input and ignores unset or empty variables', () => {
    const input = { listen: 'x:1', store: { sync: false } };
    const out = applyEnv(input, { WEFT_LISTEN: '', OTHER: 'y' }, map);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    const out2 = applyEnv(input, { WEFT_SYNC: 'true' }, map);
    expect(out2).toEqual({ listen: 'x:1', store: { sync: true } });
    expect(input.store.sync).toBe(false);
  });

  test('sets dotted paths, creating (or replacing non-object) intermediate nodes', () => {
    expect(applyEnv({}, { WEFT_DEEP: 'v' }, map)).toEqual({ a: { b: { c: 'v' } } });
    expect(applyEnv({ a: 'scalar' }, { WEFT_DEEP: 'v' }, map)).toEqual({ a: { b: { c: 'v' } } });
    expect(applyEnv({ a: { keep: 1, b: null } }, { WEFT_DEEP: 'v' }, map)).toEqual({ a: { keep: 1, b: { c: 'v' } } });
  });

  test.each<[string, unknown]>([
    ['true', true],
    ['false', false],
    ['42', 42],
    ['-7', -7],
    ['3.5', 3.5],
    ['[[1,2],[5,9]]', [[1, 2], [5, 9]]],
    ['{"a":1}', { a: 1 }],
    [' 12 ', 12],
    ['127.0.0.1:9696', '127.0.0.1:9696'],
    ['hello', 'hello'],
    ['TRUE', 'TRUE'],
    ['1e3', '1e3'],
    ['null', 'null'],
  ])('value %j is parsed as %j', (raw, expected) => {
    expect(applyEnv({}, { WEFT_LISTEN: raw }, map)).toEqual({ listen: expected });
  });

  test('a JSON-looking value that does not parse is a ConfigError naming the variable', () => {
    const err = configError(() => applyEnv({}, { WEFT_OBJ: '{not json}' }, map));
    expect(err.problems).toEqual(['environment variable WEFT_OBJ looks like JSON but does not parse']);
    expect(configError(() => applyEnv({}, { WEFT_RANGES: '[1,' + ']]' }, map)).problems[0]).toContain('WEFT_RANGES');
    expect(configError(() => applyEnv({}, { WEFT_LISTEN: '007' }, map)).problems[0]).toContain('WEFT_LISTEN');
  });
});

describe('ConfigReader', () => {
  test('returns defaults for absent paths and records no problems', () => {
    const r = new ConfigReader({});
    expect(r.string('a.b', 'd')).toBe('d');
    expect(r.number('n', 5, 0, 10)).toBe(5);
    expect(r.boolean('flag', true)).toBe(true);
    expect(r.oneOf('mode', 'x', ['x', 'y'] as const)).toBe('x');
    expect(r.raw('nothing')).toBeUndefined();
    expect(r.problems).toEqual([]);
    expect(() => r.done()).not.toThrow();
  });

  test('reads values at dotted paths', () => {
    const r = new ConfigReader({ a: { b: 'text' }, n: 7, flag: false, mode: 'y', deep: { list: [1] } });
    expect(r.string('a.b', 'd')).toBe('text');
    expect(r.number('n', 5, 0, 10)).toBe(7);
    expect(r.boolean('flag', true)).toBe(false);
    expect(r.oneOf('mode', 'x', ['x', 'y'] as const)).toBe('y');
    expect(r.raw('deep.list')).toEqual([1]);
    expect(r.raw('a.b.c')).toBeUndefined();
    r.done();
  });

  test('collects every problem (falling back to defaults) and done() throws them all at once', () => {
    const r = new ConfigReader({ s: 3, n: 11, f: 2.5, b: 'yes', m: 'z', c: 'bad', neg: -1 });
    expect(r.string('s', 'd')).toBe('d');
    expect(r.number('n', 5, 0, 10)).toBe(5);
    expect(r.number('f', 5, 0, 10)).toBe(5);
    expect(r.number('neg', 5, 0, 10)).toBe(5);
    expect(r.boolean('b', true)).toBe(true);
    expect(r.oneOf('m', 'x', ['x', 'y'] as const)).toBe('x');
    // A failed custom check keeps the value but records the problem.
    expect(r.string('c', 'd', (v) => (v === 'good' ? undefined : 'must be good'))).toBe('bad');
    r.fail('custom: explained');
    const expected = [
      's: expected a string, got 3',
      'n: expected an integer in [0, 10], got 11',
      'f: expected an integer in [0, 10], got 2.5',
      'neg: expected an integer in [0, 10], got -1',
      'b: expected true or false, got "yes"',
      'm: expected one of x, y, got "z"',
      'c: must be good',
      'custom: explained',
    ];
    expect(r.problems).toEqual(expected);
    expect(configError(() => r.done()).problems).toEqual(expected);
  });

  test('done() throws on a single problem too', () => {
    const r = new ConfigReader({ flag: 'maybe' });
    r.boolean('flag', false);
    expect(configError(() => r.done()).problems).toEqual(['flag: expected true or false, got "maybe"']);
  });

  test('number bounds are inclusive', () => {
    const r = new ConfigReader({ lo: 0, hi: 10 });
    expect(r.number('lo', 5, 0, 10)).toBe(0);
    expect(r.number('hi', 5, 0, 10)).toBe(10);
    r.done();
  });
});
