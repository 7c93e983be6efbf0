/** A store over a temp devices root with one device, and small helpers for diskfile tests. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { ByteRange, OpenObject } from '../../../../../services/object/storage/diskfile/open-object';
import type { DiskFile, ObjectRef } from '../../../../../services/object/storage/diskfile/disk-file';
import { ObjectStore } from '../../../../../services/object/storage/diskfile/object-store';
import type { QuarantineEvent } from '../../../../../services/object/storage/diskfile/store-context';
import type { CommitRequest } from '../../../../../services/object/storage/diskfile/object-writer';
import type { DataMetadataFile } from '../../../../../services/object/storage/diskfile/object-metadata';
import { fileName } from '../../../../../services/object/storage/diskfile/file-names';
import { Timestamp } from '../../../../../services/object/common/timestamp';

export interface Fixture {
  root: string;
  store: ObjectStore;
  quarantines: QuarantineEvent[];
  ref(object?: string, device?: string): ObjectRef;
  cleanup(): void;
}

export function makeStore(devices: string[] = ['sda']): Fixture {
  const root = mkdtempSync(path.join(tmpdir(), 'weft-diskfile-'));
  for (const d of devices) mkdirSync(path.join(root, d));
  const quarantines: QuarantineEvent[] = [];
  let n = 0;
  const store = new ObjectStore({
    devicesRoot: root,
    secret: { prefix: 'pre', suffix: 'suf' },
    fsync: true,
    newId: () => `id-${++n}`,
    onQuarantine: (e) => quarantines.push(e),
  });
  return {
    root,
    store,
    quarantines,
    ref: (object = 'o', device = devices[0]) => ({ device, partition: '7', account: 'AUTH_a', container: 'c', object }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const T = (s: string): Timestamp => Timestamp.parse(s);

/** Writes `body` (in 3 pieces, to exercise incremental hashing) and commits it. */
export async function put(file: DiskFile, ts: string, body: Buffer | string, req: Partial<CommitRequest> = {}): Promise<void> {
  const buf = Buffer.from(body);
  const w = await file.create(T(ts));
  const third = Math.ceil(buf.length / 3);
  for (let i = 0; i < buf.length; i += third) await w.write(buf.subarray(i, i + third));
  await w.commit({ contentType: 'text/plain', headers: {}, ...req });
}

/** A Writable that keeps copies of what it receives (the sender reuses its buffers). */
export class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    setImmediate(cb); // like a socket: the write completes later
  }
  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export async function readBody(o: OpenObject, range?: ByteRange): Promise<Buffer> {
  const sink = new Sink();
  await o.copyTo(sink, range);
  return sink.body;
}

export function ls(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The path of the `.data` at `ts` in `file`'s hash directory. */
export function dataPath(file: DiskFile, ts: string): string {
  return path.join(file.dir, fileName('data', T(ts)));
}

/** Rewrites the `.data` at `ts` through `edit` (to damage it in a chosen way). */
export function editData(file: DiskFile, ts: string, edit: (bytes: Buffer) => Buffer): void {
  const p = dataPath(file, ts);
  writeFileSync(p, edit(readFileSync(p)));
}

/**
 * Writes an object version by hand in the two-file form that PUTs wrote before the metadata
 * footer existed: `<ts>.data` holding the bare body and `<ts>.meta.json` holding its metadata.
 * No store code is involved, so the legacy read path is tested against the format itself.
 */
export function seedTwoFileForm(file: DiskFile, ts: string, body: Buffer | string, meta: Partial<DataMetadataFile> = {}): DataMetadataFile {
  const buf = Buffer.from(body);
  const full: DataMetadataFile = {
    version: 1,
    name: file.name,
    timestamp: T(ts).internal,
    contentLength: buf.length,
    etag: createHash('md5').update(buf).digest('hex'),
    contentType: 'text/plain',
    headers: {},
    ...meta,
  };
  mkdirSync(file.dir, { recursive: true });
  writeFileSync(dataPath(file, ts), buf);
  writeFileSync(path.join(file.dir, fileName('dataMeta', T(ts))), JSON.stringify(full));
  return full;
}
