/**
 * RingBuilder: the offline, operator-side state of one ring (like swift-ring-builder's builder
 * file). It holds devices and the current assignment, validates every change, and rebalances
 * deterministically: the same builder state, seed and hour always give the same ring.
 *
 * Device changes only take effect at the next rebalance: a removed device keeps its slots (and is
 * listed as removing) until then, and ringData() refuses to produce a ring that does not match
 * the device table.
 */
import { type DeviceSpec, type RingDevice, describeDevice, serverAddress, validateDeviceSpec, validateWeight } from './device';
import { type Prng, rebalancePrng } from './prng';
import { rebalance } from './rebalance';
import { type RingData, MAX_PART_POWER, MAX_REPLICAS } from './ring-data';
import { RingError } from './ring-error';
import { UNASSIGNED } from './placement';

export interface BuilderParams {
  partPower: number;
  replicas: number;
  /** Hours a partition must rest after one of its replicas moved before another may move. */
  minPartHours?: number;
  /** Seeds every tie-break and visiting order; the same seed gives the same rings. */
  seed?: number;
}

/** Everything a builder file stores; see builder-file.ts for the JSON form. */
export interface BuilderState {
  readonly partPower: number;
  readonly replicas: number;
  readonly minPartHours: number;
  readonly seed: number;
  readonly ringVersion: number;
  readonly nextDeviceId: number;
  readonly devices: readonly RingDevice[];
  /** Removed since the last rebalance; their slots move at the next one. */
  readonly removed: readonly RingDevice[];
  /** [replica][partition] = device id; null before the first rebalance. */
  readonly assignment: readonly Int32Array[] | null;
  /** Per partition, the hour since the epoch a replica of it last moved; null before the first rebalance. */
  readonly movedAtHour: Uint32Array | null;
  /** Devices changed since the last rebalance. */
  readonly dirty: boolean;
}

export interface RebalanceOptions {
  /** Wall-clock time in ms since the epoch (only its hour matters, for minPartHours). */
  now: number;
  /** Overrides the PRNG derived from (seed, ring version). */
  rng?: Prng;
}

export interface RebalanceSummary {
  /** True when the ring changed (new version). */
  readonly changed: boolean;
  readonly ringVersion: number;
  readonly movedSlots: number;
  readonly movedPartitions: number;
  readonly placedSlots: number;
  /** See RebalanceResult.overTarget: > 0 means "rebalance again after minPartHours". */
  readonly overTarget: number;
  readonly removedDevices: readonly RingDevice[];
}

/** Device ids must fit the ring file's 32-bit table (and stay far from the sentinel). */
const MAX_DEVICE_ID = 0x7ffffffe;
const MAX_MIN_PART_HOURS = 8760;
const HOUR_MS = 3_600_000;

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RingError('INVALID_ARGUMENT', `${name}: must be an integer ${lo}..${hi}`);
}

export class RingBuilder {
  private constructor(private state: BuilderState) {}

  static create(params: BuilderParams): RingBuilder {
    checkInt('part_power', params.partPower, 0, MAX_PART_POWER);
    checkInt('replicas', params.replicas, 1, MAX_REPLICAS);
    const minPartHours = params.minPartHours ?? 0;
    checkInt('min_part_hours', minPartHours, 0, MAX_MIN_PART_HOURS);
    const seed = params.seed ?? 0;
    checkInt('seed', seed, 0, 0xffffffff);
    return new RingBuilder({
      partPower: params.partPower,
      replicas: params.replicas,
      minPartHours,
      seed,
      ringVersion: 0,
      nextDeviceId: 0,
      devices: [],
      removed: [],
      assignment: null,
      movedAtHour: null,
      dirty: false,
    });
  }

  /** Rebuilds a builder from stored state (already validated by the builder-file decoder). */
  static fromState(state: BuilderState): RingBuilder {
    return new RingBuilder(state);
  }

  toState(): BuilderState {
    return this.state;
  }

  get partPower(): number {
    return this.state.partPower;
  }
  get partitions(): number {
    return 2 ** this.state.partPower;
  }
  get replicas(): number {
    return this.state.replicas;
  }
  get minPartHours(): number {
    return this.state.minPartHours;
  }
  get seed(): number {
    return this.state.seed;
  }
  get ringVersion(): number {
    return this.state.ringVersion;
  }
  /** Devices in the ring (removing ones excluded), by id. */
  get devices(): readonly RingDevice[] {
    return this.state.devices;
  }
  get removing(): readonly RingDevice[] {
    return this.state.removed;
  }
  get dirty(): boolean {
    return this.state.dirty;
  }
  get assignment(): readonly Int32Array[] | null {
    return this.state.assignment;
  }

  device(id: number): RingDevice {
    const d = this.state.devices.find((x) => x.id === id);
    if (!d) throw new RingError('DEVICE_NOT_FOUND', `no device with id ${id}`);
    return d;
  }

  /** Adds a device (validated: fields, no duplicate ip:port/device, one zone per server); returns it with its id. */
  addDevice(spec: DeviceSpec): RingDevice {
    validateDeviceSpec(spec);
    const addr = serverAddress(spec);
    for (const d of this.state.devices) {
      if (d.ip === spec.ip && d.port === spec.port) {
        if (d.device === spec.device) throw new RingError('DUPLICATE_DEVICE', `${addr}/${spec.device} is already device ${d.id}`);
        if (d.region !== spec.region || d.zone !== spec.zone) {
          throw new RingError('INVALID_ARGUMENT', `server ${addr} is in region ${d.region} zone ${d.zone} (device ${d.id}); a server is in one zone`);
        }
      }
    }
    const id = this.state.nextDeviceId;
    if (id > MAX_DEVICE_ID) throw new RingError('INVALID_ARGUMENT', 'device ids exhausted');
    const device: RingDevice = { id, region: spec.region, zone: spec.zone, ip: spec.ip, port: spec.port, device: spec.device, weight: spec.weight, meta: spec.meta ?? '' };
    this.state = { ...this.state, nextDeviceId: id + 1, devices: [...this.state.devices, device], dirty: true };
    return device;
  }

  /** Marks a device for removal; its partitions move at the next rebalance. */
  removeDevice(id: number): RingDevice {
    const d = this.device(id);
    this.state = {
      ...this.state,
      devices: this.state.devices.filter((x) => x.id !== id),
      removed: [...this.state.removed, d],
      dirty: true,
    };
    return d;
  }

  setWeight(id: number, weight: number): RingDevice {
    validateWeight(weight);
    const d = this.device(id);
    const updated = { ...d, weight };
    this.state = { ...this.state, devices: this.state.devices.map((x) => (x.id === id ? updated : x)), dirty: true };
    return updated;
  }

  /** Rebalances (see rebalance.ts); throws INSUFFICIENT_DEVICES when fewer weighted devices than replicas. */
  rebalance(opts: RebalanceOptions): RebalanceSummary {
    const s = this.state;
    const result = rebalance({
      partPower: s.partPower,
      replicas: s.replicas,
      devices: s.devices,
      removed: s.removed,
      assignment: s.assignment,
      movedAtHour: s.movedAtHour,
      minPartHours: s.minPartHours,
      nowHour: Math.floor(opts.now / HOUR_MS),
      rng: opts.rng ?? rebalancePrng(s.seed, s.ringVersion + 1),
    });
    const changed = s.dirty || result.movedSlots > 0 || result.placedSlots > 0;
    this.state = {
      ...s,
      removed: [],
      assignment: result.assignment,
      movedAtHour: changed ? result.movedAtHour : s.movedAtHour,
      ringVersion: changed ? s.ringVersion + 1 : s.ringVersion,
      dirty: false,
    };
    return {
      changed,
      ringVersion: this.state.ringVersion,
      movedSlots: result.movedSlots,
      movedPartitions: result.movedPartitions,
      placedSlots: result.placedSlots,
      overTarget: result.overTarget,
      removedDevices: s.removed,
    };
  }

  /** The ring as of the last rebalance. NOT_BALANCED before the first one or after unbalanced device changes. */
  ringData(): RingData {
    const s = this.state;
    if (s.assignment === null) throw new RingError('NOT_BALANCED', 'the builder has never been rebalanced');
    if (s.dirty) throw new RingError('NOT_BALANCED', 'devices changed since the last rebalance; rebalance first');
    const assignment = s.assignment.map((row) => {
      const out = new Uint32Array(row.length);
      for (let p = 0; p < row.length; p++) {
        if (row[p] === UNASSIGNED) throw new RingError('NOT_BALANCED', `partition ${p} has an unassigned replica`);
        out[p] = row[p];
      }
      return out;
    });
    return { version: s.ringVersion, partPower: s.partPower, replicas: s.replicas, devices: [...s.devices].sort((a, b) => a.id - b.id), assignment };
  }

  describe(id: number): string {
    return describeDevice(this.device(id));
  }
}
