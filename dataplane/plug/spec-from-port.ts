/**
 * Builds a PlugSpec from the network API's view of a bound port: what a compute driver knows after
 * the controller bound the port to its host.
 */
import type { Network, Port, Subnet } from '../../proto/gen/weft/network/v1/resources';
import { tapName } from '../linuxbridge/names';
import { PlugError } from './errors';
import { ipVersion, type PlugSpec } from './spec';

/** The vif_type this library plugs (the Linux-bridge mechanism driver's). */
export const VIF_TYPE_BRIDGE = 'bridge';
/** vif_details key naming the host-side device. */
export const VIF_DETAIL_TAP_NAME = 'tap_name';

/** Where the port goes: the instance namespace, where the host end lives, the device name inside. */
export interface PlugPlacement {
  instance: string;
  hostNetns?: string;
  ifname?: string;
}

/** Refuses ports that are not bound for the Linux bridge, saying why (PlugError). */
export function checkBinding(port: Port): void {
  const b = port.binding;
  const vif = b?.vifType ?? '';
  if (vif === VIF_TYPE_BRIDGE) return;
  if (vif === 'binding_failed') {
    throw new PlugError('BINDING_FAILED', `port ${port.id}: binding failed on host ${b?.hostId || '(none)'}: ${port.statusReason || 'no reason given'}`);
  }
  if (vif === '' || vif === 'unbound' || !b?.hostId) {
    throw new PlugError('NOT_BOUND', `port ${port.id} is not bound to a host (set its binding host first)`);
  }
  throw new PlugError('UNSUPPORTED_VIF', `port ${port.id} has vif_type "${vif}"; only "${VIF_TYPE_BRIDGE}" can be plugged here`);
}

/** The host-side device name: the driver's, else the naming convention's. */
export function portTapName(port: Port): string {
  return port.binding?.vifDetails[VIF_DETAIL_TAP_NAME] || tapName(port.id);
}

/**
 * The spec for `port`, given the subnets of its fixed IPs and its network. Each fixed IP gets its
 * subnet's prefix length; the default route per family is the gateway of the first subnet of that
 * family (in fixed-IP order) that has one. Throws PlugError when the port cannot be plugged.
 */
export function specFromPort(port: Port, subnets: readonly Subnet[], network: Network, where: PlugPlacement): PlugSpec {
  checkBinding(port);
  if (network.id !== port.networkId) throw new PlugError('INVALID_PORT', `port ${port.id} is on network ${port.networkId}, not ${network.id}`);
  if (!port.macAddress) throw new PlugError('INVALID_PORT', `port ${port.id} has no MAC address`);
  if (!network.mtu) throw new PlugError('INVALID_PORT', `network ${network.id} has no MTU`);
  const addresses: PlugSpec['addresses'] = [];
  const gateways: PlugSpec['gateways'] = {};
  for (const f of port.fixedIps) {
    const subnet = subnets.find((s) => s.id === f.subnetId);
    if (!subnet) throw new PlugError('INVALID_PORT', `port ${port.id}: subnet ${f.subnetId} of ${f.ipAddress} was not given`);
    const prefixLength = Number(subnet.cidr.split('/')[1]);
    if (!Number.isInteger(prefixLength)) throw new PlugError('INVALID_PORT', `subnet ${subnet.id} has a malformed CIDR "${subnet.cidr}"`);
    addresses.push({ ip: f.ipAddress, prefixLength });
    const family = ipVersion(f.ipAddress) === 4 ? 'v4' : 'v6';
    if (subnet.gatewayIp && !subnet.noGateway && gateways[family] === undefined) gateways[family] = subnet.gatewayIp;
  }
  return { instance: where.instance, hostNetns: where.hostNetns, ifname: where.ifname, tap: portTapName(port), mac: port.macAddress, mtu: network.mtu, addresses, gateways };
}
