/**
 * The in-tree Linux-bridge mechanism driver. It binds a port when the host runs an alive, enabled
 * `linuxbridge` agent that can carry one of the network's segments:
 *
 * | segment | the agent needs                                   |
 * |---------|---------------------------------------------------|
 * | vxlan   | a tunnel_ip (its VTEP address)                    |
 * | flat    | bridge_mappings[segment.physical_network]         |
 * | vlan    | bridge_mappings[segment.physical_network]         |
 * | local   | nothing (the bridge never leaves the host)        |
 *
 * and only for vnic_type normal (a tap device plugged into a bridge). The first segment it can
 * carry is bound; vif_details tell the compute side which bridge and tap name to use (the same
 * names the agent derives: dataplane/linuxbridge/names.ts), and other hosts' agents the VTEP
 * (tunnel_ip) behind the port.
 */
import { NetworkType, networkTypeToJSON, VnicType, vnicTypeToJSON, type Segment } from '../../proto/gen/weft/network/v1/resources';
import type { Agent } from '../../proto/gen/weft/agent/v1/agent_service';
import { bridgeName, tapName } from '../../dataplane/linuxbridge/names';
import type { BindRequest, BindResult, DriverDescription, MechanismDriver } from './driver';

export const LINUXBRIDGE_AGENT_TYPE = 'linuxbridge';
export const VIF_TYPE_BRIDGE = 'bridge';

/** "NETWORK_TYPE_VXLAN" → "vxlan" (the words vif_details use). */
export function segmentTypeWord(t: NetworkType): string {
  return networkTypeToJSON(t).replace(/^NETWORK_TYPE_/, '').toLowerCase();
}

/** Why `agent` cannot carry `segment`, or undefined when it can. */
function cannotCarry(agent: Agent, segment: Segment): string | undefined {
  switch (segment.networkType) {
    case NetworkType.NETWORK_TYPE_VXLAN:
      return agent.tunnelIp ? undefined : `agent on ${agent.host} has no tunnel_ip for vxlan`;
    case NetworkType.NETWORK_TYPE_FLAT:
    case NetworkType.NETWORK_TYPE_VLAN:
      return agent.bridgeMappings[segment.physicalNetwork] ? undefined : `agent on ${agent.host} has no mapping for physical network ${segment.physicalNetwork}`;
    case NetworkType.NETWORK_TYPE_LOCAL:
      return undefined;
    default:
      return `segment type ${segmentTypeWord(segment.networkType)} is not supported`;
  }
}

/** The decision table above, as a pure function (unit-tested case by case). */
export function decideLinuxbridgeBinding(req: BindRequest): BindResult {
  const host = req.port.binding?.hostId ?? '';
  const agents = req.agents.filter((a) => a.agentType === LINUXBRIDGE_AGENT_TYPE);
  if (agents.length === 0) return { bound: false, reason: `no alive linuxbridge agent on host ${host}` };
  const vnic = req.port.binding?.vnicType ?? VnicType.VNIC_TYPE_NORMAL;
  if (vnic !== VnicType.VNIC_TYPE_NORMAL && vnic !== VnicType.VNIC_TYPE_UNSPECIFIED) {
    return { bound: false, reason: `vnic_type ${vnicTypeToJSON(vnic).replace(/^VNIC_TYPE_/, '').toLowerCase()} is not supported (only normal)` };
  }
  const segments = req.network.segments;
  if (segments.length === 0) return { bound: false, reason: `network ${req.network.id} has no segment` };
  const reasons: string[] = [];
  for (const agent of agents) {
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const why = cannotCarry(agent, s);
      if (why) {
        if (!reasons.includes(why)) reasons.push(why);
        continue;
      }
      return {
        bound: true,
        vifType: VIF_TYPE_BRIDGE,
        segmentIndex: i,
        vifDetails: {
          // The agent enforces security groups on the tap itself (nftables).
          port_filter: 'true',
          bridge_name: bridgeName(req.network.id),
          tap_name: tapName(req.port.id),
          network_type: segmentTypeWord(s.networkType),
          segmentation_id: String(s.segmentationId),
          physical_network: s.physicalNetwork,
          // The host's VTEP: other hosts' agents build their unicast FDB (l2 population) from it.
          tunnel_ip: agent.tunnelIp,
        },
      };
    }
  }
  return { bound: false, reason: reasons.join('; ') };
}

export class LinuxbridgeDriver implements MechanismDriver {
  readonly name = 'linuxbridge';

  async describe(): Promise<DriverDescription> {
    return {
      name: this.name,
      agentTypes: [LINUXBRIDGE_AGENT_TYPE],
      networkTypes: [NetworkType.NETWORK_TYPE_LOCAL, NetworkType.NETWORK_TYPE_FLAT, NetworkType.NETWORK_TYPE_VLAN, NetworkType.NETWORK_TYPE_VXLAN],
    };
  }

  async bindPort(req: BindRequest): Promise<BindResult> {
    return decideLinuxbridgeBinding(req);
  }
}
