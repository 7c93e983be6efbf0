/**
 * The agent's copy of the controller state it derives its dataplane from: networks, subnets,
 * ports and security groups (which carry their rules). Filled by a list at revision R and kept
 * current by the Watch feed from R+1 (see feed.ts). Events replayed over a newer listing are
 * harmless: a resource is replaced only by a state at least as new (revision_number), deletes are
 * final, so the cache converges to the controller's state once the feed catches up.
 */
import type { Network, Port, SecurityGroup, Subnet } from '../../proto/gen/weft/network/v1/resources';
import type { WatchResponse } from '../../proto/gen/weft/network/v1/network_service';

export interface Snapshot {
  revision: number;
  networks: Network[];
  subnets: Subnet[];
  ports: Port[];
  securityGroups: SecurityGroup[];
}

interface Versioned {
  id: string;
  revisionNumber: number;
}

function put<T extends Versioned>(map: Map<string, T>, value: T): boolean {
  const prev = map.get(value.id);
  if (prev && prev.revisionNumber > value.revisionNumber) return false;
  map.set(value.id, value);
  return true;
}

export class StateCache {
  readonly networks = new Map<string, Network>();
  readonly subnets = new Map<string, Subnet>();
  readonly ports = new Map<string, Port>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  /** Revision of the last list or feed event applied. */
  revision = 0;

  replaceAll(s: Snapshot): void {
    this.networks.clear();
    this.subnets.clear();
    this.ports.clear();
    this.securityGroups.clear();
    for (const n of s.networks) this.networks.set(n.id, n);
    for (const n of s.subnets) this.subnets.set(n.id, n);
    for (const p of s.ports) this.ports.set(p.id, p);
    for (const g of s.securityGroups) this.securityGroups.set(g.id, g);
    this.revision = s.revision;
  }

  /** Applies one committed mutation; returns whether anything the agent keeps changed. */
  apply(ev: WatchResponse): boolean {
    let changed = false;
    for (const ch of ev.changes) {
      const v = ch.value;
      if (!v) continue;
      switch (v.$case) {
        case 'network':
          changed = (ch.deleted ? this.networks.delete(ch.id) : put(this.networks, v.value)) || changed;
          break;
        case 'subnet':
          changed = (ch.deleted ? this.subnets.delete(ch.id) : put(this.subnets, v.value)) || changed;
          break;
        case 'port':
          changed = (ch.deleted ? this.ports.delete(ch.id) : put(this.ports, v.value)) || changed;
          break;
        case 'securityGroup':
          changed = (ch.deleted ? this.securityGroups.delete(ch.id) : put(this.securityGroups, v.value)) || changed;
          break;
        default:
          // Rules arrive inside their group's change; routers and floating IPs are not this
          // agent's business yet.
          break;
      }
    }
    if (ev.revision > this.revision) this.revision = ev.revision;
    return changed;
  }
}
