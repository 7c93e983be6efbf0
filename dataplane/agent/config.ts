/**
 * Node agent configuration: JSON file plus WEFT_AGENT_* environment overrides (ENV below),
 * validated as a whole so every problem is reported at once.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { applyEnv, ConfigReader, readConfigFile } from '../../services/runtime/config';
import type { LogLevel } from '../../services/runtime/log';

export interface AgentConfig {
  /** This node's name; ports bind here via binding.host_id. */
  host: string;
  /** The controller's address: host:port, or unix:/path (reachable from any namespace). */
  controller: string;
  /** VTEP address for VXLAN; empty = no tunnels on this node. */
  tunnelIp: string;
  /** physical_network -> local interface, for flat and VLAN networks. */
  bridgeMappings: Record<string, string>;
  auth: {
    /**
     * The identity key repository: the agent seals its own short-lived service tokens (nodes
     * that hold the keys, e.g. the all-in-one node and the test hosts).
     */
    keysDir: string;
    /** Or a fixed token (e.g. from an orchestration system); used when keysDir is empty. */
    token: string;
  };
  /** Full resync period: bounds how long drift survives. */
  resyncIntervalMs: number;
  logLevel: LogLevel;
}

export const AGENT_ENV: Record<string, string> = {
  WEFT_AGENT_HOST: 'host',
  WEFT_AGENT_CONTROLLER: 'controller',
  WEFT_AGENT_TUNNEL_IP: 'tunnelIp',
  WEFT_AGENT_BRIDGE_MAPPINGS: 'bridgeMappings',
  WEFT_AGENT_KEYS_DIR: 'auth.keysDir',
  WEFT_AGENT_TOKEN: 'auth.token',
  WEFT_AGENT_RESYNC_MS: 'resyncIntervalMs',
  WEFT_LOG_LEVEL: 'log.level',
};

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const IFNAME = /^[A-Za-z0-9._-]{1,15}$/;

export function loadAgentConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const r = new ConfigReader(applyEnv(readConfigFile(file), env, AGENT_ENV));
  const mappings: Record<string, string> = {};
  const raw = r.raw('bridgeMappings');
  if (raw !== undefined) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) r.fail('bridgeMappings: expected an object physical_network -> interface');
    else {
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string' || !IFNAME.test(v)) r.fail(`bridgeMappings.${k}: expected an interface name (1-15 characters), got ${JSON.stringify(v)}`);
        else mappings[k] = v;
      }
    }
  }
  const cfg: AgentConfig = {
    host: r.string('host', hostname(), (v) => (HOSTNAME.test(v) ? undefined : 'expected a host name')),
    controller: r.string('controller', '127.0.0.1:9696', (v) => (v ? undefined : 'must not be empty')),
    tunnelIp: r.string('tunnelIp', '', (v) => (v === '' || isIP(v) ? undefined : 'expected an IP address or empty')),
    bridgeMappings: mappings,
    auth: { keysDir: r.string('auth.keysDir', ''), token: r.string('auth.token', '') },
    resyncIntervalMs: r.number('resyncIntervalMs', 2000, 200, 600_000),
    logLevel: r.oneOf('log.level', 'info', ['debug', 'info', 'warn', 'error'] as const),
  };
  if (!cfg.auth.keysDir && !cfg.auth.token) r.fail('auth: set auth.keysDir (seal service tokens) or auth.token');
  r.done();
  return cfg;
}
