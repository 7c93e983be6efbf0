/**
 * What a registering agent may claim about itself. Everything is checked before anything is
 * written, and every problem is reported at once (google.rpc.BadRequest field violations).
 */
import type { RegisterAgentRequest } from '../../../proto/gen/weft/agent/v1/agent_service';
import { canonicalAddress } from '../ipam';
import { Violations } from '../validate';

/** Host names as nova/Neutron use them for binding:host_id: DNS-ish labels, underscores tolerated. */
const HOST_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,253}[A-Za-z0-9])?$/;
/** Agent types are identifiers ("linuxbridge", "ovs", "acme-fabric"). */
const AGENT_TYPE_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
/** Physical network labels; ':' ',' '/' and blanks are reserved by config syntaxes and key paths. */
const PHYSNET_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace. */
const IFNAME_RE = /^[A-Za-z0-9._@-]{1,15}$/;
const CAPABILITY_RE = /^[a-z0-9._-]{1,64}$/;
const MAX_CAPABILITIES = 32;
const MAX_MAPPINGS = 64;
const MAX_VERSION = 64;

export function validateHost(v: Violations, field: string, host: string): void {
  if (!host) v.add(field, 'is required');
  else v.check(HOST_RE.test(host), field, 'must be a host name (letters, digits, ".", "-", "_"; at most 255 characters)');
}

/**
 * Checks a registration and returns it normalized (tunnel_ip in canonical form). Throws
 * INVALID_ARGUMENT listing every violation.
 */
export function validateRegistration(req: RegisterAgentRequest): RegisterAgentRequest {
  const v = new Violations();
  validateHost(v, 'host', req.host);
  if (!req.agentType) v.add('agent_type', 'is required');
  else v.check(AGENT_TYPE_RE.test(req.agentType), 'agent_type', 'must be lower-case letters, digits, ".", "-", "_" (at most 64)');
  let tunnelIp = '';
  if (req.tunnelIp) {
    const c = canonicalAddress(req.tunnelIp);
    if (v.check(c !== null, 'tunnel_ip', 'must be an IPv4 or IPv6 address (or empty for no tunnel endpoint)')) tunnelIp = c!;
  }
  const mappings = Object.entries(req.bridgeMappings);
  v.check(mappings.length <= MAX_MAPPINGS, 'bridge_mappings', `at most ${MAX_MAPPINGS} mappings`);
  const byInterface = new Map<string, string>();
  for (const [physnet, iface] of mappings) {
    const f = `bridge_mappings[${physnet}]`;
    v.check(PHYSNET_RE.test(physnet), f, 'the physical network name must be 1-64 letters, digits, ".", "-", "_"');
    if (!v.check(IFNAME_RE.test(iface) && iface !== '.' && iface !== '..', f, 'must name a local interface (1-15 characters, no "/", ":" or blanks)')) continue;
    const other = byInterface.get(iface);
    // One interface carrying two physical networks would merge their flat/VLAN traffic.
    if (other !== undefined) v.add(f, `interface ${iface} is already mapped to physical network ${other}`);
    else byInterface.set(iface, physnet);
  }
  v.check(req.capabilities.length <= MAX_CAPABILITIES, 'capabilities', `at most ${MAX_CAPABILITIES} capabilities`);
  req.capabilities.forEach((c, i) => v.check(CAPABILITY_RE.test(c), `capabilities[${i}]`, 'must be 1-64 lower-case letters, digits, ".", "-", "_"'));
  v.check(new Set(req.capabilities).size === req.capabilities.length, 'capabilities', 'must not repeat a capability');
  v.check(req.version.length <= MAX_VERSION, 'version', `must be at most ${MAX_VERSION} characters`);
  v.check(!/[\u0000-\u001f]/.test(req.version), 'version', 'must not contain control characters');
  v.throwIfAny();
  return { ...req, tunnelIp, bridgeMappings: { ...req.bridgeMappings }, capabilities: [...req.capabilities] };
}
