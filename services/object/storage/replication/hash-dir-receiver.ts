/**
 * Receives one pushed hash directory (sync-frame.ts) and installs the files that win.
 *
 * Guarantees:
 * - last writer wins: only files live in the union of what is on disk and what arrived are
 *   installed (merge-plan.ts), so a push never replaces newer data;
 * - no corrupt copy spreads: a `.data` is checked against the size and MD5 in its `.meta.json`
 *   (the frame's form of its metadata) while it streams; a `.data` without it is refused;
 * - a `.data` is stored in the footer form (data-footer.ts): the body, then the metadata the
 *   frame carried; the frame's `.meta.json` is never stored as a file of its own;
 * - atomic: every file goes to `tmp/`, is synced, and only then renamed into place under the
 *   directory's lock;
 * - the suffix is invalidated before and after the renames, like the object layer's writers;
 * - an installed `.data` (with the metadata pushed for it) or `.meta` whose headers carry X-Delete-At gets its expirer index
 *   entry before it is renamed into place, as a client write would (the index may hold more
 *   than the disk, never less), so the expirer of this server removes a copy it received.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { encodeFooter } from '../diskfile/data-footer';
import { readFileFooter } from '../diskfile/footer-reader';
import { fsyncDir, mkdirDurable } from '../diskfile/durable-fs';
import { fileName, parseFileName } from '../diskfile/file-names';
import { parseDataMetadata, parsePostMetadata, type DataMetadataFile } from '../diskfile/object-metadata';
import { classifyFiles } from '../diskfile/ondisk-files';
import { ChunkReader } from './chunk-reader';
import type { HashDirAccess } from './hash-dir-access';
import { filesToInstall } from './merge-plan';
import { MANIFEST_MAX_BYTES, parseManifest, SyncFrameError, type FrameFile } from './sync-frame';
import { listDir } from '../../common/list-dir';

/** Metadata files are small; anything bigger is not one of ours. */
const METADATA_MAX_BYTES = 1024 * 1024;

export interface HashDirTarget {
  device: string;
  partition: string;
  hash: string;
}

export interface ReceiveResult {
  /** Files renamed into place (empty: the directory already held everything that wins). */
  installed: string[];
}


interface Staged {
  name: string;
  tmp: string;
  /** X-Delete-At of a metadata file that carries one. */
  deleteAt?: number;
}

export async function receiveHashDir(access: HashDirAccess, target: HashDirTarget, body: AsyncIterable<unknown>): Promise<ReceiveResult> {
  const { device, partition, hash } = target;
  const dir = access.hashDir(device, partition, hash);
  const reader = new ChunkReader(body);
  const manifest = parseManifest(await reader.readLine(MANIFEST_MAX_BYTES));
  const names = manifest.map((f) => f.name);
  checkComplete(manifest);
  const wanted = new Set(filesToInstall(await listDir(dir), names));
  const tmpDir = access.tmpDir(device);
  const staged: Staged[] = [];
  try {
    if (wanted.size > 0) await mkdirDurable(tmpDir, false);
    let expected: DataMetadataFile | undefined;
    let objectName: string | undefined;
    for (const f of manifest) {
      const kind = parseFileName(f.name)?.kind;
      if (kind !== 'data') {
        if (f.size > METADATA_MAX_BYTES) throw new SyncFrameError(`${f.name} is too large for a metadata file`);
        const chunks: Buffer[] = [];
        await reader.readExact(f.size, (c) => void chunks.push(Buffer.from(c)));
        const bytes = Buffer.concat(chunks);
        const meta = checkMetadataFile(f.name, bytes);
        if (meta.data) {
          expected = meta.data;
          objectName = meta.data.name;
        }
        if (wanted.has(f.name)) {
          const item: Staged = { name: f.name, tmp: await writeTmp(access, tmpDir, [bytes]) };
          if (meta.deleteAt !== undefined) item.deleteAt = meta.deleteAt;
          staged.push(item);
        }
        continue;
      }
      if (!expected || expected.contentLength !== f.size) throw new SyncFrameError(`${f.name}: size ${f.size} does not match its metadata`);
      if (!wanted.has(f.name)) {
        await reader.readExact(f.size, () => undefined);
        continue;
      }
      const item: Staged = { name: f.name, tmp: await streamDataTmp(access, tmpDir, reader, f, expected) };
      // The `.data` carries the pushed metadata now: its X-Delete-At is the new file's.
      const deleteAt = deleteAtOf(expected.headers);
      if (deleteAt !== undefined) item.deleteAt = deleteAt;
      staged.push(item);
    }
    if (!(await reader.atEnd())) throw new SyncFrameError('bytes after the last file');
    if (staged.length === 0) return { installed: [] };
    return { installed: await install(access, target, dir, names, staged, objectName) };
  } finally {
    for (const s of staged) await unlink(s.tmp).catch(() => undefined);
  }
}

/** A `.data` must travel with its `.meta.json` (the receiver checks the body against it). */
function checkComplete(manifest: readonly FrameFile[]): void {
  for (const f of manifest) {
    const parsed = parseFileName(f.name);
    if (parsed?.kind !== 'data') continue;
    const metaName = f.name.replace(/\.data$/, '.meta.json');
    if (!manifest.some((m) => m.name === metaName)) throw new SyncFrameError(`${f.name} sent without ${metaName}`);
  }
  if (manifest.filter((f) => parseFileName(f.name)?.kind === 'data').length > 1) throw new SyncFrameError('more than one .data');
}

/** X-Delete-At as the object layer stores it (whole seconds); anything else is no expiry. */
function deleteAtOf(headers: Readonly<Record<string, string>>): number | undefined {
  const v = headers['x-delete-at'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Validates a metadata file's content: a `.meta.json`'s object metadata, and any X-Delete-At. */
function checkMetadataFile(name: string, bytes: Buffer): { data?: DataMetadataFile; deleteAt?: number } {
  const parsed = parseFileName(name);
  if (!parsed) throw new SyncFrameError(`not an object file name: ${name}`);
  if (parsed.kind === 'tombstone') {
    if (bytes.length !== 0) throw new SyncFrameError(`${name}: a tombstone is empty`);
    return {};
  }
  const text = bytes.toString('utf8');
  if (parsed.kind === 'meta') {
    const post = parsePostMetadata(text);
    if (!post || post.timestamp !== parsed.timestamp.internal) throw new SyncFrameError(`${name}: unreadable POST metadata`);
    return { deleteAt: deleteAtOf(post.headers) };
  }
  const data = parseDataMetadata(text);
  if (!data || data.timestamp !== parsed.timestamp.internal) throw new SyncFrameError(`${name}: unreadable object metadata`);
  return { data, deleteAt: deleteAtOf(data.headers) };
}

/** `/account/container/object` → its parts (the object may hold `/`). */
function splitName(name: string): { account: string; container: string; object: string } | undefined {
  const m = /^\/([^/]+)\/([^/]+)\/(.+)$/s.exec(name);
  return m ? { account: m[1]!, container: m[2]!, object: m[3]! } : undefined;
}

/** The object's name from the `.data` already in the directory (a pushed `.meta` carries none). */
async function localObjectName(dir: string): Promise<string | undefined> {
  const state = classifyFiles(await listDir(dir));
  if (state.winner?.kind !== 'data') return undefined;
  if (state.dataMeta) return parseDataMetadata(await readFile(path.join(dir, state.dataMeta.name), 'utf8').catch(() => ''))?.name;
  const footer = await readFileFooter(path.join(dir, state.winner.name)).catch(() => undefined);
  return footer?.ok ? footer.meta.name : undefined;
}

/** Index entries for the installed versions that expire, before they become visible. */
async function addExpiryEntries(access: HashDirAccess, target: HashDirTarget, dir: string, todo: readonly Staged[], objectName: string | undefined): Promise<void> {
  const expiring = todo.filter((s) => s.deleteAt !== undefined);
  if (expiring.length === 0) return;
  const parts = splitName(objectName ?? (await localObjectName(dir)) ?? '');
  // Without a name there is nothing the expirer could address; the object layer's 404 on an
  // expired object still hides it.
  if (!parts) return;
  for (const s of expiring) await access.addExpiry(target.device, target.hash, { ...parts, partition: target.partition, deleteAt: s.deleteAt! });
}

async function writeTmp(access: HashDirAccess, tmpDir: string, chunks: Buffer[]): Promise<string> {
  const tmp = path.join(tmpDir, access.newId());
  const fh = await open(tmp, 'wx');
  try {
    for (const c of chunks) await fh.write(c);
    if (access.fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

async function streamDataTmp(access: HashDirAccess, tmpDir: string, reader: ChunkReader, f: FrameFile, meta: DataMetadataFile): Promise<string> {
  const tmp = path.join(tmpDir, access.newId());
  const md5 = createHash('md5');
  let fh: FileHandle | undefined = await open(tmp, 'wx');
  try {
    const handle = fh;
    await reader.readExact(f.size, async (c) => {
      md5.update(c);
      await handle.write(c);
    });
    const got = md5.digest('hex');
    if (got !== meta.etag) throw new SyncFrameError(`${f.name}: body MD5 ${got} does not match ETag ${meta.etag}`);
    await fh.write(encodeFooter(meta));
    if (access.fsync) await fh.sync();
    await fh.close();
    fh = undefined;
    return tmp;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function install(access: HashDirAccess, target: HashDirTarget, dir: string, names: readonly string[], staged: Staged[], objectName: string | undefined): Promise<string[]> {
  const suffix = target.hash.slice(-3);
  return access.lock(dir, async () => {
    // Decide again under the lock: a write may have landed while the body streamed.
    const wanted = new Set(filesToInstall(await listDir(dir), names));
    const todo = staged.filter((s) => wanted.has(s.name));
    if (todo.length === 0) return [];
    await addExpiryEntries(access, target, dir, todo, objectName);
    await mkdirDurable(dir, access.fsync);
    await access.invalidate(target.device, target.partition, suffix);
    for (const s of todo) {
      const parsed = parseFileName(s.name);
      // A `.meta.json` of this very version (a crash of the two-file form) would make readers
      // take the footer-form `.data` for a bare body.
      if (parsed?.kind === 'data') await unlink(path.join(dir, fileName('dataMeta', parsed.timestamp))).catch(() => undefined);
      await rename(s.tmp, path.join(dir, s.name));
    }
    if (access.fsync) await fsyncDir(dir);
    for (const name of classifyFiles(await listDir(dir)).obsolete) {
      await unlink(path.join(dir, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await access.invalidate(target.device, target.partition, suffix);
    return todo.map((s) => s.name);
  });
}
