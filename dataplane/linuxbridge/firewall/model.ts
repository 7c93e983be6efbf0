/**
 * What the Linux-bridge firewall is asked to enforce on one host: the ports bound here and the
 * security groups they (or their remote-group rules) name. This is the planner's whole input
 * besides the observed kernel state; it is built from controller state and carries no kernel ids.
 */

/** One security group rule, as the network API defines it (proto SecurityGroupRule). */
export interface FirewallRule {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** '' or 'any' for any protocol; tcp, udp, icmp, icmpv6, sctp, or an IP protocol number 0-255. */
  protocol: string;
  /** tcp/udp/sctp: destination port range (0 = unset). icmp/icmpv6: min is the type, max the code (0 = unset). */
  portRangeMin: number;
  portRangeMax: number;
  /** '' for any; otherwise an address or CIDR of the rule's ethertype (the remote end). */
  remoteIpPrefix: string;
  /** '' for none; otherwise the remote end must be a member of this group. */
  remoteGroupId: string;
}

export interface FirewallGroup {
  id: string;
  /** false: no connection tracking for the group's ports, so replies need rules of their own. */
  stateful: boolean;
  rules: FirewallRule[];
  /** Addresses (or CIDRs) of every port in the group on any host, for remote-group rules. */
  members: { v4: string[]; v6: string[] };
}

export interface FirewallPort {
  portId: string;
  /** Host-side device enslaved to the bridge (names.ts tapName). */
  tap: string;
  /** The network's bridge (names.ts bridgeName); it selects the conntrack zone. */
  bridge: string;
  mac: string;
  fixedIps: string[];
  /** ipAddress is an address or CIDR; macAddress '' means the port's own MAC. */
  allowedAddressPairs: { ipAddress: string; macAddress: string }[];
  /** false: the port is not filtered at all (no anti-spoofing, no security groups). */
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
}

export interface FirewallDesired {
  ports: FirewallPort[];
  groups: FirewallGroup[];
}
