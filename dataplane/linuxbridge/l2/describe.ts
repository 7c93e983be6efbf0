import type { L2Action } from './model';

/** One line for logs and port-status reasons, e.g. `setMaster tapabc → brqdef`. */
export function describeAction(a: L2Action): string {
  switch (a.op) {
    case 'createBridge':
      return `createBridge ${a.name} mtu ${a.mtu}`;
    case 'createVxlan':
      return `createVxlan ${a.name} vni ${a.vni} local ${a.local} dstport ${a.port} mtu ${a.mtu}`;
    case 'createVlan':
      return `createVlan ${a.name} on ${a.parent} id ${a.vlanId} mtu ${a.mtu}`;
    case 'deleteLink':
      return `deleteLink ${a.name} (${a.reason})`;
    case 'setMaster':
      return a.master === null ? `setMaster ${a.name} nomaster` : `setMaster ${a.name} → ${a.master}`;
    case 'setUp':
      return `setUp ${a.name} ${a.up ? 'up' : 'down'}`;
    case 'setMtu':
      return `setMtu ${a.name} ${a.mtu}`;
    case 'addFdb':
      return `addFdb ${a.device} ${a.mac} dst ${a.dst}`;
    case 'removeFdb':
      return `removeFdb ${a.device} ${a.mac} dst ${a.dst}`;
  }
}
