/**
 * A storage device as the ring knows it, and the validation every way of adding one goes through.
 *
 * The failure domains nest: region ⊃ zone ⊃ server (ip:port) ⊃ device. The builder spreads a
 * partition's replicas over distinct members of each level as far as the layout allows.
 */
import { isIP } from 'node:net';
import { RingError } from './ring-error';

export interface RingDevice {
  /** Stable, never reused while the device is in the builder; indexes the ring's assignment table. */
  readonly id: number;
  readonly region: number;
  readonly zone: number;
  /** Address of the storage server holding the device (an IP literal or a host name). */
  readonly ip: string;
  readonly port: number;
  /** The directory name of the device under the storage server's devices root (e.g. "sdb1"). */
  readonly device: string;
  /** Relative capacity; partitions are assigned in proportion to it. 0 drains the device. */
  readonly weight: number;
  /** Free-form operator notes (not used for placement). */
  readonly meta: string;
}

/** What an operator supplies to add a device; the builder picks the id. */
export type DeviceSpec = Omit<RingDevice, 'id' | 'meta'> & { meta?: string };

/** Large enough for any real cluster, small enough that a typo (e.g. an extra zero) is caught. */
const MAX_TIER_NUMBER = 65535;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** A device name becomes a path component on the storage server, so no separators and no dots-only names. */
const DEVICE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/;
const MAX_META = 256;

function bad(field: string, problem: string): RingError {
  return new RingError('INVALID_ARGUMENT', `${field}: ${problem}`);
}

export function validateWeight(weight: number): void {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) throw bad('weight', 'must be a finite number >= 0');
}

/** Checks one device's own fields (not its relation to other devices); throws INVALID_ARGUMENT. */
export function validateDeviceSpec(spec: DeviceSpec): void {
  for (const field of ['region', 'zone'] as const) {
    const v = spec[field];
    if (!Number.isInteger(v) || v < 0 || v > MAX_TIER_NUMBER) throw bad(field, `must be an integer 0..${MAX_TIER_NUMBER}`);
  }
  if (typeof spec.ip !== 'string' || (isIP(spec.ip) === 0 && !HOSTNAME.test(spec.ip))) throw bad('ip', `not an IP address or host name: ${JSON.stringify(spec.ip)}`);
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) throw bad('port', 'must be an integer 1..65535');
  if (typeof spec.device !== 'string' || !DEVICE_NAME.test(spec.device)) {
    throw bad('device', 'must be 1-64 characters of A-Z a-z 0-9 . _ - (it is a directory name), not "." or ".."');
  }
  validateWeight(spec.weight);
  if (spec.meta !== undefined && (typeof spec.meta !== 'string' || spec.meta.length > MAX_META)) throw bad('meta', `must be a string of at most ${MAX_META} characters`);
}

/** The host part of an address as written in "ip:port" (IPv6 literals bracketed). */
export function serverAddress(d: Pick<RingDevice, 'ip' | 'port'>): string {
  return isIP(d.ip) === 6 ? `[${d.ip}]:${d.port}` : `${d.ip}:${d.port}`;
}

/** Swift-style one-word description, e.g. "d3r1z2-10.0.0.1:6200/sdb". */
export function describeDevice(d: RingDevice): string {
  return `d${d.id}r${d.region}z${d.zone}-${serverAddress(d)}/${d.device}`;
}
