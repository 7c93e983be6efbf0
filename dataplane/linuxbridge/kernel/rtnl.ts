/**
 * Typed rtnetlink adapter for the Linux-bridge backend: links (bridge, VXLAN, VLAN), enslaving,
 * admin state, MTU, and the VXLAN forwarding database — over the `netlink` package, never by
 * running `ip`/`bridge`.
 *
 * A netlink socket acts in the network namespace of the process that opened it, so an agent run
 * with `ip netns exec <ns>` manages that namespace only.
 *
 * Every failure is an `RtnlError` (see rtnl-error.ts for the stable codes). Requests carry a
 * timeout so a wedged kernel answer cannot hang a reconcile loop forever. The socket is only
 * referenced while requests are in flight: an idle adapter does not keep the process alive.
 */
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import { FlagsGet, FlagsNew, createRtNetlink, parseError, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { VXLAN_PORT } from '../names';
import { ipv4ToBytes, isMultiRemoteMac, macToBytes, normalizeMac } from './addresses';
import { decodeFdbRemote, decodeLink } from './decode';
import * as encode from './encode';
import { RtnlError, type RtnlErrorCode } from './rtnl-error';
import type { BridgeSpec, FdbSpec, L2Kernel, LinkWatchHandlers, ObservedFdbEntry, ObservedLink, VlanSpec, VxlanSpec } from './types';
import { watchLinks } from './watch-links';

/** NLMSG_ERROR: carries an errno (0 = ACK). */
const NLMSG_ERROR = 2;
const IFNAMSIZ = 16;

export interface RtnlOptions {
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

const ERRNO_CODES: Record<string, RtnlErrorCode> = {
  EEXIST: 'EXISTS',
  ENODEV: 'NOT_FOUND',
  EOPNOTSUPP: 'UNSUPPORTED',
};

/** libuv names errno 95 ENOTSUP; the kernel (and its documentation) says EOPNOTSUPP. */
const KERNEL_NAMES: Record<string, [name: string, text: string]> = { ENOTSUP: ['EOPNOTSUPP', 'operation not supported'] };

function errnoName(errno: number): string {
  try {
    const name = getSystemErrorName(errno);
    return KERNEL_NAMES[name]?.[0] ?? name;
  } catch {
    return `errno ${-errno}`;
  }
}

function errnoText(errno: number): string {
  const entry = getSystemErrorMap().get(errno);
  if (!entry) return 'rejected by the kernel';
  return KERNEL_NAMES[entry[0]]?.[1] ?? entry[1];
}

/** Checks an interface name the way the kernel's dev_valid_name does, before anything is sent. */
function checkName(op: string, name: string): void {
  const ok =
    name.length > 0 && Buffer.byteLength(name) < IFNAMSIZ && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
  if (!ok) throw new RtnlError('INVALID_ARGUMENT', op, `invalid interface name ${JSON.stringify(name)} (1-15 bytes, no '/', ':' or spaces)`);
}

function checkMtu(op: string, mtu: number | undefined): void {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
    throw new RtnlError('INVALID_ARGUMENT', op, `invalid MTU ${mtu} (68..65535)`);
  }
}

function fdbBytes(op: string, entry: FdbSpec): { mac: Buffer; dst: Buffer } {
  const mac = macToBytes(entry.mac);
  const dst = ipv4ToBytes(entry.dst);
  if (!mac) throw new RtnlError('INVALID_ARGUMENT', op, `invalid MAC ${JSON.stringify(entry.mac)}`);
  if (!dst) throw new RtnlError('INVALID_ARGUMENT', op, `invalid remote VTEP address ${JSON.stringify(entry.dst)} (IPv4 only)`);
  return { mac, dst };
}

export class Rtnl implements L2Kernel {
  private readonly sock: RtNetlinkSocket;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(options: RtnlOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.sock = createRtNetlink();
    // The raw socket emits 'error' for asynchronous failures; without a listener Node would throw
    // from the event loop. Requests in flight still end (by answer or timeout), so nothing is lost.
    this.sock.socket.on('error', () => undefined);
  }

  /** Releases the socket. Further calls fail with SOCKET. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }

  async listLinks(): Promise<ObservedLink[]> {
    const msgs = await this.request('listLinks', rt.MessageType.GETLINK, encode.encodeLinkDump(), FlagsGet.DUMP);
    return msgs.filter((m) => m.type === rt.MessageType.NEWLINK).map((m) => decodeLink(rt.parseLinkMessage(m.data)));
  }

  /** The link named `name`, or undefined when there is none. */
  async getLink(name: string): Promise<ObservedLink | undefined> {
    const op = `getLink ${name}`;
    checkName(op, name);
    try {
      const msgs = await this.request(op, rt.MessageType.GETLINK, encode.encodeGetLink(name), 0);
      const found = msgs.find((m) => m.type === rt.MessageType.NEWLINK);
      return found ? decodeLink(rt.parseLinkMessage(found.data)) : undefined;
    } catch (err) {
      if (err instanceof RtnlError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  async createBridge(spec: BridgeSpec): Promise<void> {
    const op = `createBridge ${spec.name}`;
    checkName(op, spec.name);
    checkMtu(op, spec.mtu);
    await this.create(op, encode.encodeNewBridge(spec));
  }

  async createVxlan(spec: VxlanSpec): Promise<void> {
    const op = `createVxlan ${spec.name}`;
    checkName(op, spec.name);
    checkMtu(op, spec.mtu);
    if (!Number.isInteger(spec.vni) || spec.vni < 1 || spec.vni > 0xffffff) {
      throw new RtnlError('INVALID_ARGUMENT', op, `invalid VNI ${spec.vni} (1..16777215)`);
    }
    const local = ipv4ToBytes(spec.local);
    if (!local) throw new RtnlError('INVALID_ARGUMENT', op, `invalid local tunnel address ${JSON.stringify(spec.local)} (IPv4 only)`);
    const port = spec.port ?? VXLAN_PORT;
    await this.create(op, encode.encodeNewVxlan({ name: spec.name, vni: spec.vni, local, port, mtu: spec.mtu }), 'VXLAN devices are not supported by this kernel');
  }

  async createVlan(spec: VlanSpec): Promise<void> {
    const op = `createVlan ${spec.name}`;
    checkName(op, spec.name);
    checkName(op, spec.parent);
    checkMtu(op, spec.mtu);
    if (!Number.isInteger(spec.vlanId) || spec.vlanId < 1 || spec.vlanId > 4094) {
      throw new RtnlError('INVALID_ARGUMENT', op, `invalid VLAN id ${spec.vlanId} (1..4094)`);
    }
    const parent = await this.requireLink(op, spec.parent, 'parent device');
    await this.create(
      op,
      encode.encodeNewVlan({ name: spec.name, parentIndex: parent.index, vlanId: spec.vlanId, mtu: spec.mtu }),
      '802.1Q VLAN devices are not supported by this kernel (is the 8021q module loaded?)',
    );
  }

  async setMaster(name: string, master: string | null): Promise<void> {
    const op = master === null ? `setMaster ${name} nomaster` : `setMaster ${name} → ${master}`;
    checkName(op, name);
    let masterIndex = 0;
    if (master !== null) {
      checkName(op, master);
      masterIndex = (await this.requireLink(op, master, 'master')).index;
    }
    await this.setLink(op, encode.encodeSetLink({ name, masterIndex }));
  }

  async setUp(name: string, up: boolean): Promise<void> {
    const op = `setUp ${name} ${up ? 'up' : 'down'}`;
    checkName(op, name);
    await this.setLink(op, encode.encodeSetLink({ name, up }));
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    const op = `setMtu ${name} ${mtu}`;
    checkName(op, name);
    checkMtu(op, mtu);
    await this.setLink(op, encode.encodeSetLink({ name, mtu }));
  }

  async deleteLink(name: string): Promise<void> {
    const op = `deleteLink ${name}`;
    checkName(op, name);
    try {
      await this.request(op, rt.MessageType.DELLINK, encode.encodeDelLink(name), 0);
    } catch (err) {
      // Already gone is the state we wanted.
      if (err instanceof RtnlError && err.code === 'NOT_FOUND') return;
      throw err;
    }
  }

  async listFdb(options: { device?: string; links?: readonly ObservedLink[] } = {}): Promise<ObservedFdbEntry[]> {
    const links = options.links ?? (await this.listLinks());
    const vxlans = new Map<number, string>();
    for (const l of links) if (l.kind === 'vxlan' && (options.device === undefined || l.name === options.device)) vxlans.set(l.index, l.name);
    if (vxlans.size === 0) return [];
    const msgs = await this.request('listFdb', rt.MessageType.GETNEIGH, encode.encodeFdbDump(), FlagsGet.DUMP);
    const out: ObservedFdbEntry[] = [];
    for (const m of msgs) {
      if (m.type !== rt.MessageType.NEWNEIGH) continue;
      const remote = decodeFdbRemote(rt.parseNeighborMessage(m.data));
      const device = remote && vxlans.get(remote.ifindex);
      if (remote && device) out.push({ device, mac: remote.mac, dst: remote.dst });
    }
    return out;
  }

  async addFdb(entry: FdbSpec): Promise<void> {
    const op = `addFdb ${entry.device} ${entry.mac} dst ${entry.dst}`;
    const { mac, dst } = fdbBytes(op, entry);
    const dev = await this.requireLink(op, entry.device, 'VXLAN device');
    // Flood/multicast MACs hold a list of remotes (append); a unicast MAC lives behind exactly one
    // VTEP, so a new destination replaces the old one in place (no window without an entry).
    const mode = isMultiRemoteMac(normalizeMac(entry.mac) ?? entry.mac) ? FlagsNew.APPEND : FlagsNew.REPLACE;
    await this.request(op, rt.MessageType.NEWNEIGH, encode.encodeFdb({ ifindex: dev.index, mac, dst }), FlagsNew.CREATE | mode);
  }

  async removeFdb(entry: FdbSpec): Promise<void> {
    const op = `removeFdb ${entry.device} ${entry.mac} dst ${entry.dst}`;
    const { mac, dst } = fdbBytes(op, entry);
    const dev = await this.requireLink(op, entry.device, 'VXLAN device');
    try {
      await this.request(op, rt.MessageType.DELNEIGH, encode.encodeFdb({ ifindex: dev.index, mac, dst }), 0);
    } catch (err) {
      if (err instanceof RtnlError && err.errno === 'ENOENT') return;
      throw err;
    }
  }

  /** Subscribes to link notifications on a separate socket; returns the function that ends it. */
  watchLinks(handlers: LinkWatchHandlers): () => void {
    return watchLinks(handlers);
  }

  private async create(op: string, body: Uint8Array[], unsupported?: string): Promise<void> {
    try {
      await this.request(op, rt.MessageType.NEWLINK, body, FlagsNew.CREATE | FlagsNew.EXCL);
    } catch (err) {
      if (unsupported && err instanceof RtnlError && err.code === 'UNSUPPORTED') throw new RtnlError('UNSUPPORTED', op, unsupported, err.errno);
      throw err;
    }
  }

  private async setLink(op: string, body: Uint8Array[]): Promise<void> {
    await this.request(op, rt.MessageType.SETLINK, body, 0);
  }

  private async requireLink(op: string, name: string, what: string): Promise<ObservedLink> {
    const link = await this.getLink(name);
    if (!link) throw new RtnlError('NOT_FOUND', op, `${what} ${name} does not exist`);
    return link;
  }

  /** Sends one request and returns the answer's messages; an error answer becomes an RtnlError. */
  private async request(op: string, type: number, body: Uint8Array[], flags: number): Promise<NetlinkMessage[]> {
    if (this.closed) throw new RtnlError('SOCKET', op, 'the netlink socket is closed');
    let msgs: NetlinkMessage[];
    try {
      [msgs] = await this.sock.socket.request(type, body, { flags, checkError: false, timeout: this.timeoutMs });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/timeout/i.test(message)) throw new RtnlError('TIMEOUT', op, `no answer from the kernel within ${this.timeoutMs} ms`);
      const code = (err as { code?: unknown }).code;
      throw new RtnlError('SOCKET', op, message, typeof code === 'string' ? code : undefined);
    }
    for (const m of msgs) {
      if (m.type !== NLMSG_ERROR) continue;
      const { errno } = parseError(m.data, m.flags);
      if (errno !== 0) {
        const name = errnoName(errno);
        throw new RtnlError(ERRNO_CODES[name] ?? 'KERNEL_REJECTED', op, errnoText(errno), name);
      }
    }
    return msgs.filter((m) => m.type !== NLMSG_ERROR);
  }
}
