/**
 * An in-memory kernel for L2 tests: implements the executor's `L2Kernel` with the rules of the
 * real one that matter to the planner (names unique, create refuses an existing name, only a
 * bridge can be a master, deleting a bridge releases its ports and deleting a VXLAN device drops
 * its FDB, flood MACs accumulate remotes while a unicast MAC's remote is replaced, 802.1Q may be
 * missing). It is a simulator, not a call recorder: tests assert on the state it ends in.
 *
 * Not modelled: the bridge MTU following its smallest port (kernel auto-adjust), carrier state.
 */
import { isMultiRemoteMac } from '../../../dataplane/linuxbridge/kernel/addresses';
import { RtnlError } from '../../../dataplane/linuxbridge/kernel/rtnl-error';
import type { BridgeSpec, FdbSpec, L2Kernel, ObservedFdbEntry, ObservedLink, VlanSpec, VxlanSpec } from '../../../dataplane/linuxbridge/kernel/types';
import type { ObservedL2 } from '../../../dataplane/linuxbridge/l2/model';

export interface SimOptions {
  /** This machine's kernel has no 802.1Q module; the default mirrors that. */
  vlanSupported?: boolean;
  /** Fault injection: return true to make the call fail like the kernel would (EIO). */
  failOn?: (op: string, name: string) => boolean;
}

export class SimKernel implements L2Kernel {
  private links = new Map<string, ObservedLink>();
  private fdbs: ObservedFdbEntry[] = [];
  private nextIndex = 1;
  readonly calls: string[] = [];

  constructor(private readonly options: SimOptions = {}) {
    this.addLink({ name: 'lo', kind: '', mtu: 65536, up: true });
  }

  /** Test setup: a link created by someone else (a NIC, a tap, a foreign bridge). */
  addLink(l: Partial<ObservedLink> & { name: string }): ObservedLink {
    const index = this.nextIndex++;
    const link: ObservedLink = { ...l, index, kind: l.kind ?? 'tun', masterIndex: l.masterIndex ?? null, mtu: l.mtu ?? 1500, up: l.up ?? false, mac: l.mac ?? mac(index) };
    this.links.set(link.name, link);
    return link;
  }

  /** Test setup: an FDB entry put there by someone else. */
  addRawFdb(e: ObservedFdbEntry): void {
    this.must('addRawFdb', e.device);
    this.fdbs.push({ ...e });
  }

  link(name: string): ObservedLink | undefined {
    const l = this.links.get(name);
    return l && { ...l };
  }

  /** A deep copy of the whole state, as observeL2 would read it. */
  snapshot(): ObservedL2 {
    return {
      links: [...this.links.values()].map((l) => ({ ...l, ...(l.vxlan ? { vxlan: { ...l.vxlan } } : {}), ...(l.vlan ? { vlan: { ...l.vlan } } : {}) })),
      fdb: this.fdbs.filter((e) => e.device.startsWith('vxlan-')).map((e) => ({ ...e })),
    };
  }

  /** Direct state edits for drift scenarios. */
  mutate(name: string, patch: Partial<ObservedLink>): void {
    const l = this.must('mutate', name);
    Object.assign(l, patch);
  }

  removeLinkRaw(name: string): void {
    this.drop(name);
  }

  async listLinks(): Promise<ObservedLink[]> {
    return this.snapshot().links;
  }

  async listFdb(options: { device?: string } = {}): Promise<ObservedFdbEntry[]> {
    return this.fdbs.filter((e) => options.device === undefined || e.device === options.device).map((e) => ({ ...e }));
  }

  async createBridge(spec: BridgeSpec): Promise<void> {
    this.enter('createBridge', spec.name);
    this.create('createBridge', { name: spec.name, kind: 'bridge', mtu: spec.mtu ?? 1500 });
  }

  async createVxlan(spec: VxlanSpec): Promise<void> {
    this.enter('createVxlan', spec.name);
    this.create('createVxlan', { name: spec.name, kind: 'vxlan', mtu: spec.mtu ?? 1500, vxlan: { vni: spec.vni, local: spec.local, port: spec.port ?? 4789, learning: false } });
  }

  async createVlan(spec: VlanSpec): Promise<void> {
    const op = this.enter('createVlan', spec.name);
    const parent = this.must(op, spec.parent);
    if (!this.options.vlanSupported) throw new RtnlError('UNSUPPORTED', op, '802.1Q VLAN devices are not supported by this kernel', 'EOPNOTSUPP');
    this.create(op, { name: spec.name, kind: 'vlan', mtu: spec.mtu ?? parent.mtu, vlan: { id: spec.vlanId, parentIndex: parent.index } });
  }

  async setMaster(name: string, master: string | null): Promise<void> {
    const op = this.enter('setMaster', name);
    const link = this.must(op, name);
    if (master === null) {
      link.masterIndex = null;
      return;
    }
    const m = this.must(op, master);
    if (m.kind !== 'bridge' || link.kind === 'bridge' || m === link) throw new RtnlError('KERNEL_REJECTED', op, 'Invalid argument', 'EINVAL');
    link.masterIndex = m.index;
  }

  async setUp(name: string, up: boolean): Promise<void> {
    this.must(this.enter('setUp', name), name).up = up;
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    this.must(this.enter('setMtu', name), name).mtu = mtu;
  }

  async deleteLink(name: string): Promise<void> {
    this.enter('deleteLink', name);
    this.drop(name);
  }

  async addFdb(e: FdbSpec): Promise<void> {
    const op = this.enter('addFdb', e.device);
    const dev = this.must(op, e.device);
    if (dev.kind !== 'vxlan') throw new RtnlError('KERNEL_REJECTED', op, 'Operation not supported', 'EOPNOTSUPP');
    if (isMultiRemoteMac(e.mac)) {
      if (!this.fdbs.some((f) => f.device === e.device && f.mac === e.mac && f.dst === e.dst)) this.fdbs.push({ ...e });
      return;
    }
    this.fdbs = this.fdbs.filter((f) => !(f.device === e.device && f.mac === e.mac));
    this.fdbs.push({ ...e });
  }

  async removeFdb(e: FdbSpec): Promise<void> {
    this.must(this.enter('removeFdb', e.device), e.device);
    this.fdbs = this.fdbs.filter((f) => !(f.device === e.device && f.mac === e.mac && f.dst === e.dst));
  }

  private enter(op: string, name: string): string {
    this.calls.push(`${op} ${name}`);
    const label = `${op} ${name}`;
    if (this.options.failOn?.(op, name)) throw new RtnlError('KERNEL_REJECTED', label, 'Input/output error', 'EIO');
    return label;
  }

  private must(op: string, name: string): ObservedLink {
    const l = this.links.get(name);
    if (!l) throw new RtnlError('NOT_FOUND', op, `device ${name} does not exist`, 'ENODEV');
    return l;
  }

  private create(op: string, l: Partial<ObservedLink> & { name: string }): void {
    if (this.links.has(l.name)) throw new RtnlError('EXISTS', op, 'File exists', 'EEXIST');
    this.addLink({ up: false, ...l });
  }

  private drop(name: string): void {
    const l = this.links.get(name);
    if (!l) return;
    this.links.delete(name);
    for (const other of this.links.values()) if (other.masterIndex === l.index) other.masterIndex = null;
    this.fdbs = this.fdbs.filter((f) => f.device !== name);
  }
}

function mac(index: number): string {
  return `02:00:00:00:${((index >> 8) & 0xff).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`;
}
