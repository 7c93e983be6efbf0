/**
 * Network controller configuration: defaults for an all-in-one node, a JSON file, then
 * WEFT_* environment overrides (listed in ENV below), validated as a whole.
 */
import { applyEnv, ConfigReader, readConfigFile } from '../services/runtime/config';
import type { LogLevel } from '../services/runtime/log';

export interface Range {
  min: number;
  max: number;
}

/** A vendor's mechanism driver: a weft.driver.v1.MechanismDriverService the controller calls. */
export interface RemoteDriverConfig {
  address: string;
  /** Deadline of each call to the driver. */
  timeoutMs: number;
}

/** Mechanism drivers built into the controller (controller/drivers/). */
export const IN_TREE_DRIVERS = ['linuxbridge'] as const;

export interface ControllerConfig {
  listen: string;
  /**
   * More addresses served by the same server, e.g. `unix:/run/weft/controller.sock`: node agents
   * run inside network namespaces, where the controller's TCP address may not be reachable but
   * a unix socket path is.
   */
  extraListen: string[];
  dataDir: string;
  /** token: bearer tokens from the identity service; none: every call is refused (maintenance). */
  authMode: 'token' | 'none';
  auth: {
    /** The identity service's token key repository (shared on an all-in-one node). */
    keysDir: string;
    /** Where the revocation feed comes from. */
    identityUrl: string;
  };
  logLevel: LogLevel;
  store: { sync: boolean; changeLogRetain: number };
  segments: {
    /** Type given to tenant (non-provider) networks. */
    tenantNetworkType: 'vxlan' | 'vlan' | 'local';
    vxlanVniRanges: Range[];
    /** physical network → VLAN ranges usable for tenant networks. */
    vlanRanges: Record<string, Range[]>;
    /** Physical networks that may carry flat (untagged) provider networks. */
    flatNetworks: string[];
  };
  /** MTU of the physical underlay; VXLAN networks get 50 bytes less. */
  physicalMtu: number;
  macPrefix: string;
  /** Operator overrides of the network API policy (JSON: rule name → rule); empty = defaults. */
  policyFile: string;
  agents: {
    /** An agent is alive while its last heartbeat is at most this old. */
    downTimeMs: number;
    /** How often agents are told to heartbeat (HeartbeatResponse); well below downTimeMs. */
    heartbeatIntervalMs: number;
  };
  /** Mechanism drivers asked, in this order, to bind a port: in-tree names or remoteDrivers keys. */
  mechanismDrivers: string[];
  remoteDrivers: Record<string, RemoteDriverConfig>;
}

export const ENV: Record<string, string> = {
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
};

/** A list of strings, given as a JSON list or (from the environment) comma-separated. */
function stringList(r: ConfigReader, path: string, dflt: string[]): string[] {
  const v = r.raw(path);
  if (v === undefined) return dflt;
  if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter((x) => x);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  r.fail(`${path}: expected a list of strings`);
  return dflt;
}

function remoteDrivers(r: ConfigReader): Record<string, RemoteDriverConfig> {
  const v = r.raw('remoteDrivers');
  const out: Record<string, RemoteDriverConfig> = {};
  if (v === undefined) return out;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.fail('remoteDrivers: expected an object of name → { address, timeoutMs }');
    return out;
  }
  for (const name of Object.keys(v)) {
    if ((IN_TREE_DRIVERS as readonly string[]).includes(name)) r.fail(`remoteDrivers.${name}: the name of an in-tree driver`);
    const address = r.string(`remoteDrivers.${name}.address`, '', checkListen);
    if (!address) r.fail(`remoteDrivers.${name}.address: required`);
    out[name] = { address, timeoutMs: r.number(`remoteDrivers.${name}.timeoutMs`, 5000, 10, 600_000) };
  }
  return out;
}

function ranges(r: ConfigReader, path: string, value: unknown, lo: number, hi: number): Range[] {
  if (!Array.isArray(value)) {
    r.fail(`${path}: expected a list of [min, max] pairs`);
    return [];
  }
  const out: Range[] = [];
  value.forEach((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((n) => Number.isInteger(n))) {
      r.fail(`${path}[${i}]: expected [min, max] integers`);
      return;
    }
    const [min, max] = pair as [number, number];
    if (min < lo || max > hi || min > max) r.fail(`${path}[${i}]: range must satisfy ${lo} <= min <= max <= ${hi}`);
    else out.push({ min, max });
  });
  const sorted = [...out].sort((a, b) => a.min - b.min);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].min <= sorted[i - 1].max) r.fail(`${path}: ranges [${sorted[i - 1].min}, ${sorted[i - 1].max}] and [${sorted[i].min}, ${sorted[i].max}] overlap`);
  }
  return out;
}

function checkListen(v: string): string | undefined {
  if (v.startsWith('unix:')) return v.length > 5 ? undefined : 'unix: needs a socket path';
  const m = /^(\S+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) return 'expected host:port (port 0-65535) or unix:/path';
  return undefined;
}

export function loadControllerConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const raw = applyEnv(readConfigFile(file), env, ENV);
  const r = new ConfigReader(raw);
  const vxlan = r.raw('segments.vxlanVniRanges');
  const vlan = r.raw('segments.vlanRanges');
  const vlanRanges: Record<string, Range[]> = {};
  if (vlan !== undefined) {
    if (typeof vlan !== 'object' || vlan === null || Array.isArray(vlan)) r.fail('segments.vlanRanges: expected an object of physnet → ranges');
    else for (const [k, v] of Object.entries(vlan)) vlanRanges[k] = ranges(r, `segments.vlanRanges.${k}`, v, 1, 4094);
  }
  const flat = r.raw('segments.flatNetworks');
  if (flat !== undefined && (!Array.isArray(flat) || !flat.every((x) => typeof x === 'string'))) r.fail('segments.flatNetworks: expected a list of strings');
  const cfg: ControllerConfig = {
    listen: r.string('listen', '127.0.0.1:9696', checkListen),
    extraListen: stringList(r, 'extraListen', []),
    dataDir: r.string('dataDir', './data/network'),
    authMode: r.oneOf('auth.mode', 'token', ['token', 'none'] as const),
    auth: { keysDir: r.string('auth.keysDir', './data/identity/keys'), identityUrl: r.string('auth.identityUrl', '127.0.0.1:5000') },
    logLevel: r.oneOf('log.level', 'info', ['debug', 'info', 'warn', 'error'] as const),
    store: { sync: r.boolean('store.sync', false), changeLogRetain: r.number('store.changeLogRetain', 100_000, 10, 100_000_000) },
    segments: {
      tenantNetworkType: r.oneOf('segments.tenantNetworkType', 'vxlan', ['vxlan', 'vlan', 'local'] as const),
      vxlanVniRanges: vxlan === undefined ? [{ min: 1, max: 65535 }] : ranges(r, 'segments.vxlanVniRanges', vxlan, 1, 16_777_215),
      vlanRanges,
      flatNetworks: Array.isArray(flat) ? (flat as string[]) : ['physnet1'],
    },
    physicalMtu: r.number('physicalMtu', 1500, 576, 9216),
    policyFile: r.string('policyFile', ''),
    macPrefix: r.string('macPrefix', 'fa:16:3e', (v) => (/^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/.test(v) && (parseInt(v.slice(0, 2), 16) & 1) === 0 ? undefined : 'expected three lowercase unicast octets like fa:16:3e')),
    agents: { downTimeMs: r.number('agents.downTimeMs', 10_000, 100, 3_600_000), heartbeatIntervalMs: r.number('agents.heartbeatIntervalMs', 2000, 50, 600_000) },
    mechanismDrivers: stringList(r, 'mechanismDrivers', ['linuxbridge']),
    remoteDrivers: remoteDrivers(r),
  };
  cfg.extraListen.forEach((a, i) => {
    const msg = checkListen(a);
    if (msg) r.fail(`extraListen[${i}]: ${msg}`);
  });
  if (cfg.agents.heartbeatIntervalMs >= cfg.agents.downTimeMs) r.fail('agents.heartbeatIntervalMs must be below agents.downTimeMs (one late heartbeat would mark agents dead)');
  if (cfg.mechanismDrivers.length === 0) r.fail('mechanismDrivers: at least one driver (no driver means no port can be bound)');
  if (new Set(cfg.mechanismDrivers).size !== cfg.mechanismDrivers.length) r.fail('mechanismDrivers: a driver is listed twice');
  for (const d of cfg.mechanismDrivers) {
    if (!(IN_TREE_DRIVERS as readonly string[]).includes(d) && !cfg.remoteDrivers[d]) r.fail(`mechanismDrivers: "${d}" is neither in-tree (${IN_TREE_DRIVERS.join(', ')}) nor a key of remoteDrivers`);
  }
  if (cfg.segments.tenantNetworkType === 'vlan' && Object.keys(cfg.segments.vlanRanges).length === 0) {
    r.fail('segments.tenantNetworkType is vlan but segments.vlanRanges is empty');
  }
  r.done();
  return cfg;
}
