import { choice, keyValues, parseArgs, suggest, UsageError, validate, type OptionSpec } from '../../../tools/cli/args';

const SPECS: OptionSpec[] = [
  { name: 'name', type: 'string', help: '' },
  { name: 'mtu', type: 'int', help: '' },
  { name: 'shared', type: 'boolean', help: '' },
  { name: 'tag', type: 'string', repeatable: true, help: '' },
  { name: 'help', type: 'boolean', short: 'h', help: '' },
];

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  test('reads long options with separate and inline values, flags and positionals in any order', () => {
    const { parsed } = parseArgs(['net1', '--mtu', '1400', '--shared', '--name=x=y', 'extra'], SPECS);
    expect(parsed.positionals).toEqual(['net1', 'extra']);
    expect(parsed.int('mtu')).toBe(1400);
    expect(parsed.flag('shared')).toBe(true);
    expect(parsed.str('name')).toBe('x=y');
    expect(parsed.has('tag')).toBe(false);
    expect(parsed.flag('help')).toBe(false);
  });

  test('collects repeatable options in order', () => {
    const { parsed } = parseArgs(['--tag', 'a', '--tag=b', '--tag', 'c'], SPECS);
    expect(parsed.list('tag')).toEqual(['a', 'b', 'c']);
    expect(parsed.list('name')).toEqual([]);
  });

  test('short aliases', () => {
    expect(parseArgs(['-h'], SPECS).parsed.flag('help')).toBe(true);
  });

  test('treats everything after -- as positionals', () => {
    const { parsed } = parseArgs(['--shared', '--', '--name', '-x'], SPECS);
    expect(parsed.positionals).toEqual(['--name', '-x']);
    expect(parsed.has('name')).toBe(false);
  });

  test('negative-looking numbers and a lone dash are positionals', () => {
    expect(parseArgs(['-5', '-'], SPECS).parsed.positionals).toEqual(['-5', '-']);
  });

  test('stopAtPositional returns the rest from the first word on', () => {
    const r = parseArgs(['--name', 'a', 'network', '--mtu', '5', 'create'], SPECS, { stopAtPositional: true });
    expect(r.parsed.str('name')).toBe('a');
    expect(r.parsed.has('mtu')).toBe(false);
    expect(r.rest).toEqual(['network', '--mtu', '5', 'create']);
  });

  test('unknown options fail, suggesting a near name', () => {
    expect(usageMessage(() => parseArgs(['--nmae', 'x'], SPECS))).toBe('unknown option --nmae (did you mean --name?)');
    expect(usageMessage(() => parseArgs(['--bogus'], SPECS))).toBe('unknown option --bogus');
    expect(usageMessage(() => parseArgs(['-z'], SPECS))).toBe('unknown option -z');
  });

  test('missing, malformed and repeated values fail with the option named', () => {
    expect(usageMessage(() => parseArgs(['--mtu'], SPECS))).toMatch(/^option --mtu needs a value/);
    expect(usageMessage(() => parseArgs(['--name', '--shared'], SPECS))).toMatch(/^option --name needs a value/);
    expect(usageMessage(() => parseArgs(['--mtu', '-3'], SPECS))).toBe('option --mtu expects a non-negative integer, got "-3"');
    expect(usageMessage(() => parseArgs(['--mtu', '1.5'], SPECS))).toMatch(/non-negative integer/);
    expect(usageMessage(() => parseArgs(['--shared=yes'], SPECS))).toBe('option --shared takes no value');
    expect(usageMessage(() => parseArgs(['--name', 'a', '--name', 'b'], SPECS))).toBe('option --name given more than once');
  });

  test('errors carry the topic for the --help hint', () => {
    try {
      parseArgs(['--bogus'], SPECS, { topic: 'network create' });
    } catch (e) {
      expect((e as UsageError).topic).toBe('network create');
    }
    expect.assertions(1);
  });
});

describe('validate', () => {
  const spec = {
    options: [...SPECS, { name: 'network', type: 'string', required: true, help: '' } as OptionSpec, { name: 'other', type: 'boolean', help: '' } as OptionSpec],
    positionals: [
      { name: 'NAME', required: true },
      { name: 'EXTRA', required: false },
    ],
    exclusive: [['shared', 'other']],
  };

  test('accepts a complete command line', () => {
    expect(() => validate(parseArgs(['n', '--network', 'x'], spec.options).parsed, spec)).not.toThrow();
  });

  test('reports missing arguments, missing required options, extra arguments and conflicts', () => {
    expect(usageMessage(() => validate(parseArgs(['--network', 'x'], spec.options).parsed, spec))).toBe('missing argument NAME');
    expect(usageMessage(() => validate(parseArgs(['n'], spec.options).parsed, spec))).toBe('missing required option --network');
    expect(usageMessage(() => validate(parseArgs(['a', 'b', 'c', '--network', 'x'], spec.options).parsed, spec))).toBe('unexpected argument "c"');
    expect(usageMessage(() => validate(parseArgs(['a', '--network', 'x', '--shared', '--other'], spec.options).parsed, spec))).toBe(
      'options --shared and --other cannot be used together',
    );
  });
});

describe('helpers', () => {
  test('keyValues splits k=v pairs and rejects unknown or repeated keys', () => {
    expect([...keyValues('fixed-ip', 'subnet=s1,ip=10.0.0.5', ['subnet', 'ip'])]).toEqual([
      ['subnet', 's1'],
      ['ip', '10.0.0.5'],
    ]);
    expect(usageMessage(() => keyValues('fixed-ip', 'net=x', ['subnet', 'ip']))).toMatch(/unknown key "net"/);
    expect(usageMessage(() => keyValues('fixed-ip', 'ip=1,ip=2', ['subnet', 'ip']))).toMatch(/given twice/);
    expect(usageMessage(() => keyValues('fixed-ip', 'oops', ['subnet', 'ip']))).toMatch(/expected subnet=\.\.\.,ip=\.\.\./);
  });

  test('choice matches case-insensitively and lists the choices otherwise', () => {
    const choices = { ingress: 1, egress: 2 };
    expect(choice('direction', 'INGRESS', choices)).toBe(1);
    expect(usageMessage(() => choice('direction', 'up', choices))).toBe('--direction must be one of ingress, egress; got "up"');
  });

  test('suggest finds typos (including swapped letters) but not unrelated words', () => {
    expect(suggest('craete', ['create', 'list', 'delete'])).toBe('create');
    expect(suggest('netwrk', ['network', 'subnet'])).toBe('network');
    expect(suggest('zzzz', ['network', 'subnet'])).toBeUndefined();
  });
});
