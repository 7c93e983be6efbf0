/**
 * Lays out an object storage cluster on one machine (the all-in-one node and the object
 * benchmark): device directories per storage server, the cluster's secret hash path prefix and
 * suffix (made once, kept in cluster.json, never changed: they decide where every object lives),
 * and the three rings (with their builder files), built once with a fixed seed. Existing rings
 * are left alone so an operator can change them with `weft-ring` afterwards; the layout only
 * applies to a fresh data directory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RingBuilder, encodeBuilderFile, encodeRingFile, ringFilePath, type RingName } from '../../services/object/ring';

export interface ObjectClusterLayout {
  /** Everything goes under here (e.g. ./data/object). */
  root: string;
  /** Address the storage servers listen on (loopback on one machine). */
  host: string;
  /** Storage server i listens on basePort + i. */
  basePort: number;
  servers: number;
  devicesPerServer: number;
  replicas: number;
  partPower: number;
}

export interface StorageServerLayout {
  listen: string;
  devicesRoot: string;
  devices: string[];
}

export interface ObjectCluster {
  ringDir: string;
  hashPathPrefix: string;
  hashPathSuffix: string;
  servers: StorageServerLayout[];
  /** True when this call made the rings (a fresh cluster). */
  createdRings: boolean;
}

const RING_NAMES: readonly RingName[] = ['account', 'container', 'object'];
/** Any fixed value: the same layout always gives the same rings. */
const RING_SEED = 20261125;

interface Secrets {
  hashPathPrefix: string;
  hashPathSuffix: string;
}

function loadOrCreateSecrets(file: string): Secrets {
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
    if (typeof parsed.hashPathPrefix !== 'string' || typeof parsed.hashPathSuffix !== 'string') throw new Error(`${file}: hashPathPrefix and hashPathSuffix must be strings`);
    return { hashPathPrefix: parsed.hashPathPrefix, hashPathSuffix: parsed.hashPathSuffix };
  }
  const secrets = { hashPathPrefix: randomBytes(16).toString('hex'), hashPathSuffix: randomBytes(16).toString('hex') };
  writeAtomically(file, JSON.stringify(secrets, null, 2) + '\n', 0o600);
  return secrets;
}

function writeAtomically(file: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

/** Device names: sda, sdb, ... per server (names only need to be unique within a server). */
function deviceName(j: number): string {
  return `sd${String.fromCharCode(97 + j)}`;
}

export function prepareObjectCluster(layout: ObjectClusterLayout): ObjectCluster {
  if (layout.devicesPerServer < 1 || layout.devicesPerServer > 26) throw new Error('devicesPerServer must be 1..26');
  mkdirSync(layout.root, { recursive: true });
  const secrets = loadOrCreateSecrets(path.join(layout.root, 'cluster.json'));
  const servers: StorageServerLayout[] = [];
  for (let i = 0; i < layout.servers; i++) {
    const devicesRoot = path.join(layout.root, `server${i + 1}`, 'devices');
    const devices = Array.from({ length: layout.devicesPerServer }, (_, j) => deviceName(j));
    for (const d of devices) mkdirSync(path.join(devicesRoot, d), { recursive: true });
    servers.push({ listen: `${layout.host}:${layout.basePort + i}`, devicesRoot, devices });
  }
  const ringDir = path.join(layout.root, 'rings');
  mkdirSync(ringDir, { recursive: true });
  const missing = RING_NAMES.filter((name) => !existsSync(ringFilePath(ringDir, name)));
  for (const name of missing) {
    const builder = RingBuilder.create({ partPower: layout.partPower, replicas: layout.replicas, seed: RING_SEED });
    servers.forEach((s, i) => {
      // One zone per server: replicas land on distinct servers whenever there are enough of them.
      for (const device of s.devices) builder.addDevice({ region: 1, zone: i + 1, ip: layout.host, port: layout.basePort + i, device, weight: 100 });
    });
    builder.rebalance({ now: Date.now() });
    // The builder file next to the ring is what `weft-ring` edits to change the layout later.
    writeAtomically(path.join(ringDir, `${name}.builder`), encodeBuilderFile(builder.toState()));
    writeAtomically(ringFilePath(ringDir, name), encodeRingFile(builder.ringData()));
  }
  return { ringDir, ...secrets, servers, createdRings: missing.length > 0 };
}
