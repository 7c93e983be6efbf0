/** A store over a temp devices root with one device, and small helpers for diskfile tests. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { ByteRange, OpenObject } from '../../../../../services/object/storage/diskfile/open-object';
import type { DiskFile, ObjectRef } from '../../../../../services/object/storage/diskfile/disk-file';
import { ObjectStore } from '../../../../../services/object/storage/diskfile/object-store';
import type { QuarantineEvent } from '../../../../../services/object/storage/diskfile/store-context';
import type { CommitRequest } from '../../../../../services/object/storage/diskfile/object-writer';
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
