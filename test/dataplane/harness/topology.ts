/**
 * The physical network of a multi-host test: N "hosts" (namespaces) on one L2 underlay.
 *
 *                 <prefix>-ul   (a plain switch: no addresses, forwarding off)
 *        ┌───────────────────────────────────────────────────────────┐
 *        │                       br-ul  (bridge)                     │
 *        │          h1 ─────────────┘    │    └───────────── hN      │
 *        └──────────┼────────────────────┼─────────────────────┼─────┘
 *              veth │               veth │                veth │
 *        ┌──────────┼─────────┐ ┌────────┼───────────┐ ┌───────┼────────────┐
 *        │ ul0 10.250.0.11/24 │ │ ul0 10.250.0.12/24 │ │ ul0 10.250.0.(10+N)│
 *        │                    │ │                    │ │                    │
 *        │ <prefix>-h1        │ │ <prefix>-h2        │ │ <prefix>-hN        │
 *        │ lo up, forwarding  │ │ (its agent, bridges│ │                    │
 *        │ off                │ │ vxlan, instances)  │ │                    │
 *        └────────────────────┘ └────────────────────┘ └────────────────────┘
 *
 * The addresses exist only inside these namespaces, so 10.250.0.0/24 cannot clash with the
 * machine's own networks, and every run has its own copy.
 */
import { ip, exec, type RunScope } from './netns';

export const UNDERLAY_BRIDGE = 'br-ul';
/** The host end of each host's underlay link. */
export const UNDERLAY_IFACE = 'ul0';
export const UNDERLAY_PREFIX_LENGTH = 24;
export const MAX_HOSTS = 200;

export interface UnderlayHost {
  /** 1-based. */
  index: number;
  /** The host's namespace, `<prefix>-h<index>`. */
  ns: string;
  /** Its underlay address (no prefix length), e.g. 10.250.0.11 for host 1. */
  underlayIp: string;
  /** The device carrying underlayIp inside ns. */
  iface: string;
}

export interface Underlay {
  /** The underlay namespace holding the bridge. */
  ns: string;
  bridge: string;
  /** e.g. 10.250.0.0/24 */
  cidr: string;
  hosts: UnderlayHost[];
}

/** Host index (1-based) → underlay address. */
export function underlayAddress(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > MAX_HOSTS) throw new Error(`host index ${index} out of 1..${MAX_HOSTS}`);
  return `10.250.0.${10 + index}`;
}

/**
 * A namespace starts with the IPv4 forwarding setting of the machine's root namespace (IPv4
 * `conf` settings are inherited), which is often on (containers, Docker hosts): a "host" must not
 * route between its networks unless a test says so.
 */
export async function disableForwarding(ns: string): Promise<void> {
  await exec(ns, ['sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward && echo 0 > /proc/sys/net/ipv6/conf/all/forwarding']);
}

export interface UnderlayOptions {
  /** MTU of the underlay links and bridge (default 1500). */
  mtu?: number;
}

/** Builds the drawing above with `hosts` hosts; everything belongs to `scope`. */
export async function createUnderlay(scope: RunScope, hosts: number, opts: UnderlayOptions = {}): Promise<Underlay> {
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) throw new Error(`hosts must be 1..${MAX_HOSTS}, got ${hosts}`);
  const mtu = String(opts.mtu ?? 1500);
  const ul = await scope.addNetns('ul');
  await disableForwarding(ul);
  await ip(ul, ['link', 'add', UNDERLAY_BRIDGE, 'mtu', mtu, 'type', 'bridge']);
  await ip(ul, ['link', 'set', UNDERLAY_BRIDGE, 'up']);
  const out = await Promise.all(
    Array.from({ length: hosts }, async (_, i): Promise<UnderlayHost> => {
      const index = i + 1;
      const ns = await scope.addNetns(`h${index}`);
      const port = `h${index}`;
      const underlayIp = underlayAddress(index);
      await disableForwarding(ns);
      // Created in the underlay with its peer directly in the host: nothing touches the test's own namespace.
      await ip(ul, ['link', 'add', port, 'mtu', mtu, 'type', 'veth', 'peer', 'name', UNDERLAY_IFACE, 'netns', ns]);
      await ip(ul, ['link', 'set', port, 'master', UNDERLAY_BRIDGE, 'up']);
      await ip(ns, ['addr', 'add', `${underlayIp}/${UNDERLAY_PREFIX_LENGTH}`, 'dev', UNDERLAY_IFACE]);
      await ip(ns, ['link', 'set', UNDERLAY_IFACE, 'mtu', mtu, 'up']);
      return { index, ns, underlayIp, iface: UNDERLAY_IFACE };
    }),
  );
  return { ns: ul, bridge: UNDERLAY_BRIDGE, cidr: `10.250.0.0/${UNDERLAY_PREFIX_LENGTH}`, hosts: out };
}
