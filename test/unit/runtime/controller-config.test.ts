import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENV, loadControllerConfig, type ControllerConfig } from '../../../controller/config';
import { ConfigError } from '../../../services/runtime/config';

const DEFAULTS: ControllerConfig = {
  listen: '127.0.0.1:9696',
  dataDir: './data/network',
  authMode: 'token',
  auth: { keysDir: './data/identity/keys', identityUrl: '127.0.0.1:5000' },
  logLevel: 'info',
  store: { sync: false, changeLogRetain: 100_000 },
  segments: {
    tenantNetworkType: 'vxlan',
    vxlanVniRanges: [{ min: 1, max: 65535 }],
    vlanRanges: {},
    flatNetworks: ['physnet1'],
  },
  physicalMtu: 1500,
  macPrefix: 'fa:16:3e',
  policyFile: '',
  extraListen: [],
  agents: { downTimeMs: 10_000, heartbeatIntervalMs: 2000 },
  mechanismDrivers: ['linuxbridge'],
  remoteDrivers: {},
};

describe('loadControllerConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-ctl-config-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (content: unknown): string => {
    const p = path.join(dir, 'controller.json');
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  function problems(content: unknown, env: NodeJS.ProcessEnv = {}): string[] {
    try {
      loadControllerConfig(file(content), env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected a ConfigError');
  }

  test('defaults with no file and no environment', () => {
    expect(loadControllerConfig(undefined, {})).toEqual(DEFAULTS);
  });

  test('defaults ignore unrelated environment variables', () => {
    expect(loadControllerConfig(undefined, { PATH: '/bin', WEFT_OTHER: 'x', WEFT_NETWORK_LISTEN: '' })).toEqual(DEFAULTS);
  });

  test('the file overrides defaults', () => {
    const cfg = loadControllerConfig(
      file({
        listen: '0.0.0.0:9000',
        dataDir: '/var/lib/weft',
        auth: { mode: 'none', keysDir: '/etc/weft/keys', identityUrl: '10.0.0.5:5000' },
        log: { level: 'debug' },
        store: { sync: true, changeLogRetain: 50 },
        segments: {
          tenantNetworkType: 'vlan',
          vxlanVniRanges: [[100, 200], [300, 300]],
          vlanRanges: { physnet1: [[10, 20]], physnet2: [] },
          flatNetworks: ['ext'],
        },
        physicalMtu: 9000,
        macPrefix: '02:00:00',
      }),
      {},
    );
    expect(cfg).toEqual<ControllerConfig>({
      listen: '0.0.0.0:9000',
      dataDir: '/var/lib/weft',
      authMode: 'none',
      auth: { keysDir: '/etc/weft/keys', identityUrl: '10.0.0.5:5000' },
      logLevel: 'debug',
      store: { sync: true, changeLogRetain: 50 },
      segments: {
        tenantNetworkType: 'vlan',
        vxlanVniRanges: [
          { min: 100, max: 200 },
          { min: 300, max: 300 },
        ],
        vlanRanges: { physnet1: [{ min: 10, max: 20 }], physnet2: [] },
        flatNetworks: ['ext'],
      },
      physicalMtu: 9000,
      macPrefix: '02:00:00',
      policyFile: '',
      extraListen: [],
      agents: { downTimeMs: 10_000, heartbeatIntervalMs: 2000 },
      mechanismDrivers: ['linuxbridge'],
      remoteDrivers: {},
    });
  });

  test('environment variables override the file, with JSON-looking values parsed', () => {
    const cfg = loadControllerConfig(file({ listen: '0.0.0.0:9000', store: { sync: false, changeLogRetain: 50 }, log: { level: 'warn' } }), {
      WEFT_NETWORK_LISTEN: '10.0.0.1:7000',
      WEFT_NETWORK_DATA_DIR: '/tmp/weft-data',
      WEFT_AUTH_MODE: 'none',
      WEFT_LOG_LEVEL: 'error',
      WEFT_STORE_SYNC: 'true',
      WEFT_STORE_CHANGELOG_RETAIN: '1234',
    });
    expect(cfg.listen).toBe('10.0.0.1:7000');
    expect(cfg.dataDir).toBe('/tmp/weft-data');
    expect(cfg.authMode).toBe('none');
    expect(cfg.logLevel).toBe('error');
    expect(cfg.store).toEqual({ sync: true, changeLogRetain: 1234 });
  });

  test('ENV maps each documented variable to its config path', () => {
    expect(ENV).toEqual({
      WEFT_NETWORK_LISTEN: 'listen',
      WEFT_NETWORK_DATA_DIR: 'dataDir',
      WEFT_AUTH_MODE: 'auth.mode',
      WEFT_AUTH_KEYS_DIR: 'auth.keysDir',
      WEFT_IDENTITY_URL: 'auth.identityUrl',
      WEFT_LOG_LEVEL: 'log.level',
      WEFT_STORE_SYNC: 'store.sync',
      WEFT_STORE_CHANGELOG_RETAIN: 'store.changeLogRetain',
      WEFT_NETWORK_POLICY_FILE: 'policyFile',
      WEFT_NETWORK_EXTRA_LISTEN: 'extraListen',
      WEFT_AGENT_DOWN_TIME_MS: 'agents.downTimeMs',
      WEFT_MECHANISM_DRIVERS: 'mechanismDrivers',
    });
  });

  test('agents, extra listen addresses and mechanism drivers', () => {
    const cfg = loadControllerConfig(
      file({
        extraListen: ['unix:/run/weft/controller.sock'],
        agents: { downTimeMs: 1500, heartbeatIntervalMs: 300 },
        mechanismDrivers: ['acme', 'linuxbridge'],
        remoteDrivers: { acme: { address: '127.0.0.1:7000' } },
      }),
      {},
    );
    expect(cfg.extraListen).toEqual(['unix:/run/weft/controller.sock']);
    expect(cfg.agents).toEqual({ downTimeMs: 1500, heartbeatIntervalMs: 300 });
    expect(cfg.mechanismDrivers).toEqual(['acme', 'linuxbridge']);
    expect(cfg.remoteDrivers).toEqual({ acme: { address: '127.0.0.1:7000', timeoutMs: 5000 } });
    const env = loadControllerConfig(undefined, { WEFT_NETWORK_EXTRA_LISTEN: 'unix:/a.sock,unix:/b.sock', WEFT_AGENT_DOWN_TIME_MS: '4000', WEFT_MECHANISM_DRIVERS: 'linuxbridge' });
    expect(env.extraListen).toEqual(['unix:/a.sock', 'unix:/b.sock']);
    expect(env.agents.downTimeMs).toBe(4000);
  });

  test('bad agent and driver settings are reported', () => {
    expect(
      problems({
        extraListen: ['nowhere'],
        agents: { downTimeMs: 1000, heartbeatIntervalMs: 1000 },
        mechanismDrivers: ['linuxbridge', 'linuxbridge', 'ghost'],
        remoteDrivers: { linuxbridge: { address: '127.0.0.1:1' }, nameless: {} },
      }).sort(),
    ).toEqual(
      [
        'extraListen[0]: expected host:port (port 0-65535) or unix:/path',
        'agents.heartbeatIntervalMs must be below agents.downTimeMs (one late heartbeat would mark agents dead)',
        'mechanismDrivers: a driver is listed twice',
        'mechanismDrivers: "ghost" is neither in-tree (linuxbridge) nor a key of remoteDrivers',
        'remoteDrivers.linuxbridge: the name of an in-tree driver',
        'remoteDrivers.nameless.address: required',
      ].sort(),
    );
    expect(problems({ mechanismDrivers: [] })).toEqual(['mechanismDrivers: at least one driver (no driver means no port can be bound)']);
  });

  test('an env value of the wrong type is reported against its config key', () => {
    expect(problems({}, { WEFT_STORE_SYNC: 'yes', WEFT_STORE_CHANGELOG_RETAIN: 'many' })).toEqual([
      'store.sync: expected true or false, got "yes"',
      'store.changeLogRetain: expected an integer in [10, 100000000], got "many"',
    ]);
  });

  test('an env value that looks like JSON but does not parse is rejected', () => {
    expect(() => loadControllerConfig(undefined, { WEFT_STORE_CHANGELOG_RETAIN: '{oops}' })).toThrow(ConfigError);
  });

  test('listen accepts host:port and unix sockets, rejects the rest', () => {
    expect(loadControllerConfig(undefined, { WEFT_NETWORK_LISTEN: 'unix:/run/weft.sock' }).listen).toBe('unix:/run/weft.sock');
    expect(loadControllerConfig(undefined, { WEFT_NETWORK_LISTEN: '[::1]:9696' }).listen).toBe('[::1]:9696');
    expect(loadControllerConfig(undefined, { WEFT_NETWORK_LISTEN: 'localhost:0' }).listen).toBe('localhost:0');
    for (const bad of ['localhost', 'host: 80', ':', 'host:123456']) {
      expect(problems({ listen: bad })).toEqual(['listen: expected host:port (port 0-65535) or unix:/path']);
    }
  });

  test('listen rejects ports above 65535', () => {
    expect(problems({ listen: '127.0.0.1:99999' })).toEqual(['listen: expected host:port (port 0-65535) or unix:/path']);
  });

  test('overlapping segment ranges are rejected', () => {
    expect(problems({ segments: { vxlanVniRanges: [[1, 5], [3, 7]] } })).toEqual(['segments.vxlanVniRanges: ranges [1, 5] and [3, 7] overlap']);
  });

  test('every problem is reported at once', () => {
    const got = problems({
      listen: 'nowhere',
      dataDir: 7,
      auth: { mode: 'oauth' },
      log: { level: 'verbose' },
      store: { sync: 'no', changeLogRetain: 5 },
      segments: { tenantNetworkType: 'gre', vxlanVniRanges: [[0, 10], [5], [20, 10], [1, 16_777_216]], vlanRanges: { p1: [[0, 4095]], p2: 'x' }, flatNetworks: [1] },
      physicalMtu: 100,
      macPrefix: 'FA:16:3E',
    });
    expect([...got].sort()).toEqual(
      [
        'listen: expected host:port (port 0-65535) or unix:/path',
        'dataDir: expected a string, got 7',
        'auth.mode: expected one of token, none, got "oauth"',
        'log.level: expected one of debug, info, warn, error, got "verbose"',
        'store.sync: expected true or false, got "no"',
        'store.changeLogRetain: expected an integer in [10, 100000000], got 5',
        'segments.tenantNetworkType: expected one of vxlan, vlan, local, got "gre"',
        'segments.vxlanVniRanges[0]: range must satisfy 1 <= min <= max <= 16777215',
        'segments.vxlanVniRanges[1]: expected [min, max] integers',
        'segments.vxlanVniRanges[2]: range must satisfy 1 <= min <= max <= 16777215',
        'segments.vxlanVniRanges[3]: range must satisfy 1 <= min <= max <= 16777215',
        'segments.vlanRanges.p1[0]: range must satisfy 1 <= min <= max <= 4094',
        'segments.vlanRanges.p2: expected a list of [min, max] pairs',
        'segments.flatNetworks: expected a list of strings',
        'physicalMtu: expected an integer in [576, 9216], got 100',
        'macPrefix: expected three lowercase unicast octets like fa:16:3e',
      ].sort(),
    );
  });

  test('the ConfigError message lists each problem on its own line', () => {
    try {
      loadControllerConfig(file({ physicalMtu: 1, macPrefix: 'x' }), {});
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toBe(
        'invalid configuration:\n  - physicalMtu: expected an integer in [576, 9216], got 1\n  - macPrefix: expected three lowercase unicast octets like fa:16:3e',
      );
    }
  });

  test('macPrefix must be a unicast (even first octet) lowercase prefix', () => {
    expect(loadControllerConfig(file({ macPrefix: '00:11:22' }), {}).macPrefix).toBe('00:11:22');
    expect(problems({ macPrefix: '01:00:5e' })).toEqual(['macPrefix: expected three lowercase unicast octets like fa:16:3e']);
    expect(problems({ macPrefix: 'fa:16' })).toHaveLength(1);
    expect(problems({ macPrefix: 'fa:16:3e:00' })).toHaveLength(1);
  });

  test('range shapes: non-list vxlan ranges, non-object vlan ranges, non-integer bounds', () => {
    expect(problems({ segments: { vxlanVniRanges: 'all' } })).toEqual(['segments.vxlanVniRanges: expected a list of [min, max] pairs']);
    expect(problems({ segments: { vlanRanges: [[1, 2]] } })).toEqual(['segments.vlanRanges: expected an object of physnet → ranges']);
    expect(problems({ segments: { vlanRanges: null } })).toEqual(['segments.vlanRanges: expected an object of physnet → ranges']);
    expect(problems({ segments: { vxlanVniRanges: [[1.5, 2]] } })).toEqual(['segments.vxlanVniRanges[0]: expected [min, max] integers']);
  });

  test('an empty vxlan range list is allowed (no tenant VXLAN networks)', () => {
    expect(loadControllerConfig(file({ segments: { vxlanVniRanges: [] } }), {}).segments.vxlanVniRanges).toEqual([]);
  });

  test('vlan tenant networks need vlan ranges', () => {
    expect(problems({ segments: { tenantNetworkType: 'vlan' } })).toEqual(['segments.tenantNetworkType is vlan but segments.vlanRanges is empty']);
    expect(loadControllerConfig(file({ segments: { tenantNetworkType: 'local' } }), {}).segments.tenantNetworkType).toBe('local');
  });

  test('a bad JSON file is a ConfigError naming the file', () => {
    const p = file('{"listen": "a:1",}');
    try {
      loadControllerConfig(p, {});
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(1);
      expect((err as ConfigError).problems[0]).toContain(`config file ${p} is not valid JSON`);
    }
  });

  test('an unreadable file path is a ConfigError naming the path', () => {
    const p = path.join(dir, 'missing', 'controller.json');
    expect(() => loadControllerConfig(p, {})).toThrow(ConfigError);
    expect(() => loadControllerConfig(p, {})).toThrow(`cannot read config file ${p}`);
  });
});
