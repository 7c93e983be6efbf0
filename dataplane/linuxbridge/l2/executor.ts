/**
 * Applies planned L2 actions to the kernel and reads the state back — the thin adapter between
 * the pure planner and rtnetlink.
 *
 * Actions run one at a time in plan order (the order encodes dependencies). A failure does not
 * stop the run: later actions that depended on the failed one fail too, with their own message,
 * and everything independent still gets applied — one broken network must not hold up the rest.
 * Each result carries its action, whose networkId/portId let the agent attribute the failure.
 */
import { RtnlError } from '../kernel/rtnl-error';
import type { L2Kernel } from '../kernel/types';
import { VXLAN_PREFIX } from '../names';
import type { L2Action, ObservedL2 } from './model';

export type L2ActionResult =
  | { action: L2Action; ok: true }
  | {
      action: L2Action;
      ok: false;
      /** Human-readable, names the operation and device. */
      error: string;
      /** RtnlError code when the adapter raised one. */
      code?: string;
      /** Kernel errno name when the kernel refused. */
      errno?: string;
    };

function apply(kernel: L2Kernel, a: L2Action): Promise<void> {
  switch (a.op) {
    case 'createBridge':
      return kernel.createBridge({ name: a.name, mtu: a.mtu });
    case 'createVxlan':
      return kernel.createVxlan({ name: a.name, vni: a.vni, local: a.local, port: a.port, mtu: a.mtu });
    case 'createVlan':
      return kernel.createVlan({ name: a.name, parent: a.parent, vlanId: a.vlanId, mtu: a.mtu });
    case 'deleteLink':
      return kernel.deleteLink(a.name);
    case 'setMaster':
      return kernel.setMaster(a.name, a.master);
    case 'setUp':
      return kernel.setUp(a.name, a.up);
    case 'setMtu':
      return kernel.setMtu(a.name, a.mtu);
    case 'addFdb':
      return kernel.addFdb({ device: a.device, mac: a.mac, dst: a.dst });
    case 'removeFdb':
      return kernel.removeFdb({ device: a.device, mac: a.mac, dst: a.dst });
  }
}

/** Applies `actions` in order; never throws; one result per action, in the same order. */
export async function executeL2(kernel: L2Kernel, actions: readonly L2Action[]): Promise<L2ActionResult[]> {
  const results: L2ActionResult[] = [];
  for (const action of actions) {
    try {
      await apply(kernel, action);
      results.push({ action, ok: true });
    } catch (err) {
      if (err instanceof RtnlError) results.push({ action, ok: false, error: err.message, code: err.code, errno: err.errno });
      else results.push({ action, ok: false, error: `${action.op}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return results;
}

/** Reads what the planner needs: every link, and the FDB remotes of our VXLAN devices. */
export async function observeL2(kernel: Pick<L2Kernel, 'listLinks' | 'listFdb'>): Promise<ObservedL2> {
  const links = await kernel.listLinks();
  const ours = links.filter((l) => l.kind === 'vxlan' && l.name.startsWith(VXLAN_PREFIX));
  const fdb = ours.length === 0 ? [] : await kernel.listFdb({ links: ours });
  return { links, fdb };
}
