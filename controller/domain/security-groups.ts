/**
 * Security groups and rules. Rules are stored in their own table (Get/List/Watch by id) and also
 * embedded in their group's record, updated in the same txn, so an agent watching groups always
 * sees a group's complete rule set at one revision.
 */
import { Direction, Ethertype, SecurityGroup, SecurityGroupRule } from '../../proto/gen/weft/network/v1/resources';
import type { Caller } from '../../services/runtime/caller';
import { alreadyExists, failedPrecondition } from '../../services/runtime/errors';
import type { Txn } from '../../services/runtime/store/kv';
import { parseCidr } from './ipam';
import { checkRevision, ownedOr404, readableOr404, requireWriter, visibleOr404, type Changes, type NetworkState } from './state';
import { checkUpdateMask, Violations } from './validate';

const SG_UPDATABLE = ['name', 'description', 'tags'] as const;
const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, sctp: 132 };

function defaultKey(projectId: string): string {
  return `u/sgdefault/${projectId}`;
}

export function findDefaultGroup(state: NetworkState, reader: { get(k: string): Buffer | undefined }, projectId: string): string | undefined {
  return reader.get(defaultKey(projectId))?.toString('utf8');
}

/** Returns the project's `default` group, creating it (with the usual rules) inside this txn. */
export function ensureDefaultGroup(state: NetworkState, txn: Txn, changes: Changes, projectId: string): string {
  const existing = findDefaultGroup(state, txn, projectId);
  if (existing) return existing;
  const now = state.now();
  const id = state.ids.uuid();
  const rule = (direction: Direction, ethertype: Ethertype, remoteGroupId: string): SecurityGroupRule => ({
    id: state.ids.uuid(),
    projectId,
    securityGroupId: id,
    description: '',
    direction,
    ethertype,
    protocol: '',
    portRangeMin: 0,
    portRangeMax: 0,
    remoteIpPrefix: '',
    remoteGroupId,
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
    tags: [],
  });
  const rules = [
    rule(Direction.DIRECTION_INGRESS, Ethertype.ETHERTYPE_IPV4, id),
    rule(Direction.DIRECTION_INGRESS, Ethertype.ETHERTYPE_IPV6, id),
    rule(Direction.DIRECTION_EGRESS, Ethertype.ETHERTYPE_IPV4, ''),
    rule(Direction.DIRECTION_EGRESS, Ethertype.ETHERTYPE_IPV6, ''),
  ];
  const group: SecurityGroup = {
    id,
    projectId,
    name: 'default',
    description: 'Default security group',
    rules,
    stateful: true,
    tags: [],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
  txn.put(defaultKey(projectId), Buffer.from(id, 'utf8'));
  state.securityGroups.put(txn, group);
  changes.saved({ $case: 'securityGroup', securityGroup: group });
  for (const r of rules) {
    state.rules.put(txn, r);
    changes.saved({ $case: 'securityGroupRule', securityGroupRule: r });
  }
  return id;
}

export function getSecurityGroup(state: NetworkState, caller: Caller, id: string): SecurityGroup {
  return readableOr404(caller, 'security group', id, state.securityGroups.get(state.kv, id));
}

export function createSecurityGroup(state: NetworkState, caller: Caller, input: SecurityGroup | undefined, txn: Txn, changes: Changes): SecurityGroup {
  requireWriter(caller);
  const req = input ?? SecurityGroup.fromPartial({});
  const v = new Violations();
  v.name('security_group.name', req.name);
  v.description('security_group.description', req.description);
  v.tags('security_group.tags', req.tags);
  v.check(!req.id, 'security_group.id', 'is assigned by the server');
  v.check(req.rules.length === 0, 'security_group.rules', 'are read only; create rules with CreateSecurityGroupRule');
  if (req.projectId && req.projectId !== caller.projectId) state.attributes.authorize(caller, 'create_security_group', 'project_id', { project_id: req.projectId });
  v.throwIfAny();
  const projectId = req.projectId || caller.projectId;
  if (req.name === 'default') {
    // Only the automatic default group may be named default, so "the default group" stays unique.
    if (findDefaultGroup(state, txn, projectId)) throw alreadyExists(`project ${projectId} already has a default security group`);
    const id = ensureDefaultGroup(state, txn, changes, projectId);
    return state.securityGroups.get(txn, id)!;
  }
  ensureDefaultGroup(state, txn, changes, projectId);
  const now = state.now();
  const id = state.ids.uuid();
  const egress = (ethertype: Ethertype): SecurityGroupRule => ({
    id: state.ids.uuid(),
    projectId,
    securityGroupId: id,
    description: '',
    direction: Direction.DIRECTION_EGRESS,
    ethertype,
    protocol: '',
    portRangeMin: 0,
    portRangeMax: 0,
    remoteIpPrefix: '',
    remoteGroupId: '',
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
    tags: [],
  });
  // New groups allow all egress and no ingress, like Neutron's.
  const rules = [egress(Ethertype.ETHERTYPE_IPV4), egress(Ethertype.ETHERTYPE_IPV6)];
  const group: SecurityGroup = {
    id,
    projectId,
    name: req.name,
    description: req.description,
    rules,
    stateful: req.stateful ?? true,
    tags: [...req.tags],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
  state.securityGroups.put(txn, group);
  changes.saved({ $case: 'securityGroup', securityGroup: group });
  for (const r of rules) {
    state.rules.put(txn, r);
    changes.saved({ $case: 'securityGroupRule', securityGroupRule: r });
  }
  return group;
}

export function updateSecurityGroup(state: NetworkState, caller: Caller, input: SecurityGroup | undefined, mask: string[] | undefined, txn: Txn, changes: Changes): SecurityGroup {
  requireWriter(caller);
  const req = input ?? SecurityGroup.fromPartial({});
  const prev = ownedOr404(caller, 'security group', req.id, state.securityGroups.get(txn, req.id));
  checkRevision('security group', prev.id, req.revisionNumber, prev.revisionNumber);
  const v = new Violations();
  const paths = checkUpdateMask(v, mask, SG_UPDATABLE);
  v.throwIfAny();
  const next: SecurityGroup = { ...prev };
  for (const p of paths) {
    if (p === 'name') {
      v.name('security_group.name', req.name);
      if (prev.name === 'default' && req.name !== 'default') v.add('security_group.name', 'the default group cannot be renamed');
      if (prev.name !== 'default' && req.name === 'default') v.add('security_group.name', 'only the automatic default group is named default');
      next.name = req.name;
    } else if (p === 'description') {
      v.description('security_group.description', req.description);
      next.description = req.description;
    } else {
      v.tags('security_group.tags', req.tags);
      next.tags = [...req.tags];
    }
  }
  v.throwIfAny();
  next.revisionNumber = prev.revisionNumber + 1;
  next.updatedAt = state.now();
  state.securityGroups.put(txn, next, prev);
  changes.saved({ $case: 'securityGroup', securityGroup: next });
  return next;
}

export function deleteSecurityGroup(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes): void {
  requireWriter(caller);
  const group = ownedOr404(caller, 'security group', id, state.securityGroups.get(txn, id));
  checkRevision('security group', id, revision, group.revisionNumber);
  const ports = [...state.ports.referencing('securityGroup', id)];
  if (ports.length > 0) {
    throw failedPrecondition(
      `security group ${id} is in use by ${ports.length} port(s), e.g. ${ports.slice(0, 3).join(', ')}`,
      ports.slice(0, 20).map((p) => ({ type: 'PORT', subject: p, description: 'port using this group' })),
      'SECURITY_GROUP_IN_USE',
    );
  }
  const referrers = [...state.securityGroups.referencing('remoteGroup', id)].filter((g) => g !== id);
  if (referrers.length > 0) {
    throw failedPrecondition(
      `security group ${id} is the remote group of rules in group(s) ${referrers.join(', ')}`,
      referrers.map((g) => ({ type: 'SECURITY_GROUP', subject: g, description: 'has rules naming this group as remote' })),
      'SECURITY_GROUP_IN_USE',
    );
  }
  if (group.name === 'default' && !caller.isAdmin) throw failedPrecondition('the default security group can only be deleted by an admin', [], 'DEFAULT_SECURITY_GROUP');
  for (const r of group.rules) {
    state.rules.delete(txn, r);
    changes.deleted({ $case: 'securityGroupRule', securityGroupRule: r });
  }
  if (group.name === 'default') txn.del(defaultKey(group.projectId));
  state.securityGroups.delete(txn, group);
  changes.deleted({ $case: 'securityGroup', securityGroup: group });
}

export function getRule(state: NetworkState, caller: Caller, id: string): SecurityGroupRule {
  return readableOr404(caller, 'security group rule', id, state.rules.get(state.kv, id));
}

/** Canonical protocol number for comparisons (undefined = any). */
function protocolNumber(p: string): number | undefined {
  if (p === '' || p === 'any') return undefined;
  if (p in PROTOCOLS) return PROTOCOLS[p];
  return Number(p);
}

function ruleSignature(r: SecurityGroupRule): string {
  return JSON.stringify([r.direction, r.ethertype, protocolNumber(r.protocol) ?? null, r.portRangeMin, r.portRangeMax, r.remoteIpPrefix, r.remoteGroupId]);
}

export function createRule(state: NetworkState, caller: Caller, input: SecurityGroupRule | undefined, txn: Txn, changes: Changes): SecurityGroupRule {
  requireWriter(caller);
  const req = input ?? SecurityGroupRule.fromPartial({});
  const v = new Violations();
  v.check(!req.id, 'security_group_rule.id', 'is assigned by the server');
  v.uuid('security_group_rule.security_group_id', req.securityGroupId, true);
  v.description('security_group_rule.description', req.description);
  v.check(req.direction === Direction.DIRECTION_INGRESS || req.direction === Direction.DIRECTION_EGRESS, 'security_group_rule.direction', 'must be ingress or egress');
  const ethertype = req.ethertype || Ethertype.ETHERTYPE_IPV4;
  v.check(ethertype === Ethertype.ETHERTYPE_IPV4 || ethertype === Ethertype.ETHERTYPE_IPV6, 'security_group_rule.ethertype', 'must be IPv4 or IPv6');
  const protocol = req.protocol.toLowerCase();
  const num = protocolNumber(protocol);
  v.check(protocol === '' || protocol === 'any' || protocol in PROTOCOLS || (/^\d{1,3}$/.test(protocol) && Number(protocol) <= 255), 'security_group_rule.protocol', 'must be empty, tcp, udp, icmp, icmpv6, sctp or 0-255');
  if (protocol === 'icmp' && ethertype === Ethertype.ETHERTYPE_IPV6) v.add('security_group_rule.protocol', 'use icmpv6 with IPv6');
  if (protocol === 'icmpv6' && ethertype === Ethertype.ETHERTYPE_IPV4) v.add('security_group_rule.protocol', 'icmpv6 needs ethertype IPv6');
  const ported = num === 6 || num === 17 || num === 132;
  const icmp = num === 1 || num === 58;
  const { portRangeMin: min, portRangeMax: max } = req;
  if (ported) {
    v.check(min <= 65535 && max <= 65535, 'security_group_rule.port_range_min', 'ports must be 0-65535');
    if (min || max) v.check(min >= 1 && max >= min, 'security_group_rule.port_range_max', 'must be >= port_range_min, and both 1-65535');
  } else if (icmp) {
    v.check(min <= 255, 'security_group_rule.port_range_min', 'ICMP type must be 0-255');
    v.check(max <= 255, 'security_group_rule.port_range_max', 'ICMP code must be 0-255');
    if (max && !min) v.add('security_group_rule.port_range_min', 'an ICMP code needs an ICMP type');
  } else {
    v.check(!min && !max, 'security_group_rule.port_range_min', 'port ranges need protocol tcp, udp, sctp, icmp or icmpv6');
  }
  if (req.remoteIpPrefix && req.remoteGroupId) v.add('security_group_rule.remote_ip_prefix', 'set remote_ip_prefix or remote_group_id, not both');
  if (req.remoteIpPrefix) {
    try {
      const c = parseCidr(req.remoteIpPrefix);
      v.check(c.version === (ethertype === Ethertype.ETHERTYPE_IPV6 ? 6 : 4), 'security_group_rule.remote_ip_prefix', 'does not match the ethertype');
    } catch (err) {
      v.add('security_group_rule.remote_ip_prefix', (err as Error).message);
    }
  }
  if (req.remoteGroupId) v.uuid('security_group_rule.remote_group_id', req.remoteGroupId, false);
  v.throwIfAny();
  const group = ownedOr404(caller, 'security group', req.securityGroupId, state.securityGroups.get(txn, req.securityGroupId));
  if (req.remoteGroupId) visibleOr404(caller, 'security group', req.remoteGroupId, state.securityGroups.get(txn, req.remoteGroupId));
  const now = state.now();
  const rule: SecurityGroupRule = {
    id: state.ids.uuid(),
    projectId: group.projectId,
    securityGroupId: group.id,
    description: req.description,
    direction: req.direction,
    ethertype,
    protocol: protocol === 'any' ? '' : protocol,
    portRangeMin: min,
    portRangeMax: max,
    remoteIpPrefix: req.remoteIpPrefix,
    remoteGroupId: req.remoteGroupId,
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
    tags: [...req.tags],
  };
  const dup = group.rules.find((r) => ruleSignature(r) === ruleSignature(rule));
  if (dup) throw alreadyExists(`security group ${group.id} already has this rule (${dup.id})`, 'DUPLICATE_RULE');
  const nextGroup: SecurityGroup = { ...group, rules: [...group.rules, rule], revisionNumber: group.revisionNumber + 1, updatedAt: now };
  state.rules.put(txn, rule);
  state.securityGroups.put(txn, nextGroup, group);
  changes.saved({ $case: 'securityGroupRule', securityGroupRule: rule });
  changes.saved({ $case: 'securityGroup', securityGroup: nextGroup });
  return rule;
}

export function deleteRule(state: NetworkState, caller: Caller, id: string, revision: number, txn: Txn, changes: Changes): void {
  requireWriter(caller);
  const rule = ownedOr404(caller, 'security group rule', id, state.rules.get(txn, id));
  checkRevision('security group rule', id, revision, rule.revisionNumber);
  const group = state.securityGroups.get(txn, rule.securityGroupId);
  state.rules.delete(txn, rule);
  changes.deleted({ $case: 'securityGroupRule', securityGroupRule: rule });
  if (group) {
    const next: SecurityGroup = { ...group, rules: group.rules.filter((r) => r.id !== id), revisionNumber: group.revisionNumber + 1, updatedAt: state.now() };
    state.securityGroups.put(txn, next, group);
    changes.saved({ $case: 'securityGroup', securityGroup: next });
  }
}
