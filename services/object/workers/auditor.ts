/**
 * The auditor (Swift's object auditor): re-reads every object on the local devices at a bounded
 * rate (`bytesPerSecond`) and checks each newest `.data` against its metadata (its footer, or
 * the `.meta.json` of the two-file form): the MD5 of the body must be the stored ETag and its
 * size the stored length. A mismatch, or metadata that is unreadable, quarantines the object: its hash directory moves to
 * `quarantined/objects/<hash>` and its suffix is marked in `hashes.invalid`, so the replicator
 * sees the partition differ from the other replicas and pushes a good copy back. The quarantine
 * goes through DiskFile.quarantine, which only moves the directory if the version that was read
 * is still the newest (a good version written meanwhile is never quarantined).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ParsedFooter } from '../storage/diskfile/data-footer';
import { readFileFooter } from '../storage/diskfile/footer-reader';
import { classifyFiles } from '../storage/diskfile/ondisk-files';
import { parseDataMetadata } from '../storage/diskfile/object-metadata';
import { ObjectStore } from '../storage/diskfile/object-store';
import { walkHashDirs, type HashDirEntry } from './object-walk';
import { BytePacer } from './rate-limit';
import { sleep } from './run-loop';
import type { PassStats, Worker } from './worker';
import type { WorkerContext, WorkerDefinition } from './worker-definition';

export interface AuditorSettings {
  /** Bytes read per second over a pass (all devices together). */
  bytesPerSecond: number;
}

type Verdict = { ok: true; bytes: number } | { ok: false; reason: string; bytes: number } | { ok: 'gone' };

const isGone = (err: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

export class Auditor implements Worker {
  readonly name = 'auditor';
  private readonly store: ObjectStore;
  /** Since the process started (the per-pass counters are in each pass's stats). */
  private readonly totals = { passes: 0, quarantined: 0 };

  constructor(
    private readonly ctx: WorkerContext,
    private readonly settings: AuditorSettings,
  ) {
    this.store = new ObjectStore({
      devicesRoot: ctx.devicesRoot,
      secret: ctx.secret,
      fsync: ctx.fsync,
      onQuarantine: (e) => ctx.logger.warn('object quarantined', { ...e }),
    });
  }

  async runOnce(signal: AbortSignal): Promise<PassStats> {
    const stats = { devices: 0, objects: 0, bytes: 0, quarantined: 0, errors: 0, passes: 0, totalQuarantined: 0 };
    const pacer = new BytePacer(this.settings.bytesPerSecond, Date.now, (ms) => sleep(ms, signal));
    for (const device of await this.ctx.localDevices()) {
      if (signal.aborted) break;
      stats.devices++;
      for await (const entry of walkHashDirs(this.ctx.devicesRoot, device, signal)) {
        try {
          const outcome = await this.auditOne(entry, pacer, signal);
          if (outcome === 'skipped') continue;
          stats.objects++;
          stats.bytes += outcome.bytes;
          if (outcome.quarantined) stats.quarantined++;
        } catch (err) {
          stats.errors++;
          this.ctx.logger.warn('audit failed', { device, hash: entry.hash, error: err });
        }
      }
    }
    if (!signal.aborted) this.totals.passes++;
    this.totals.quarantined += stats.quarantined;
    return { ...stats, passes: this.totals.passes, totalQuarantined: this.totals.quarantined };
  }

  private async auditOne(e: HashDirEntry, pacer: BytePacer, signal: AbortSignal): Promise<'skipped' | { bytes: number; quarantined: boolean }> {
    let files: string[];
    try {
      files = await readdir(e.dir);
    } catch (err) {
      if (isGone(err)) return 'skipped';
      throw err;
    }
    const state = classifyFiles(files);
    if (state.winner?.kind !== 'data') return 'skipped';
    const winnerName = state.winner.name;
    let verdict: Verdict;
    let name = '';
    const dataFile = path.join(e.dir, winnerName);
    if (!state.dataMeta) {
      // The footer form: the metadata is read from the `.data`'s end, the body is what precedes it.
      let footer: ParsedFooter;
      try {
        footer = await readFileFooter(dataFile);
      } catch (err) {
        if (isGone(err)) return 'skipped';
        throw err;
      }
      if (!footer.ok) verdict = { ok: false, reason: footer.reason, bytes: 0 };
      else if (footer.meta.timestamp !== state.winner.timestamp.internal) verdict = { ok: false, reason: 'unreadable metadata', bytes: 0 };
      else {
        name = footer.meta.name;
        verdict = await checkData(dataFile, footer.meta.contentLength, footer.meta.etag, pacer, signal, footer.meta.contentLength);
      }
    } else {
      let text: string;
      try {
        text = await readFile(path.join(e.dir, state.dataMeta.name), 'utf8');
      } catch (err) {
        if (isGone(err)) return 'skipped';
        throw err;
      }
      const meta = parseDataMetadata(text);
      if (!meta || meta.timestamp !== state.winner.timestamp.internal) verdict = { ok: false, reason: 'unreadable metadata', bytes: 0 };
      else {
        name = meta.name;
        verdict = await checkData(dataFile, meta.contentLength, meta.etag, pacer, signal);
      }
    }
    if (verdict.ok === 'gone') return 'skipped';
    if (verdict.ok) return { bytes: verdict.bytes, quarantined: false };
    if (signal.aborted && verdict.reason === 'aborted') return 'skipped';
    const dest = await this.store.objectAtHash(e.device, e.partition, e.hash, name).quarantine(`auditor: ${verdict.reason}`, winnerName);
    return { bytes: verdict.bytes, quarantined: dest !== undefined };
  }
}

/**
 * Re-reads a `.data` at the pacer's rate (its first `readBytes`, or all of it); the MD5 and the
 * count of what was read against the metadata's.
 */
async function checkData(file: string, length: number, etag: string, pacer: BytePacer, signal: AbortSignal, readBytes?: number): Promise<Verdict> {
  const md5 = createHash('md5');
  let bytes = 0;
  try {
    const range = readBytes === undefined ? {} : { start: 0, end: readBytes - 1 };
    for await (const chunk of readBytes === 0 ? [] : createReadStream(file, { highWaterMark: 64 * 1024, ...range })) {
      const buf = chunk as Buffer;
      md5.update(buf);
      bytes += buf.length;
      if (signal.aborted) return { ok: false, reason: 'aborted', bytes };
      await pacer.consume(buf.length);
    }
  } catch (err) {
    if (isGone(err)) return { ok: 'gone' };
    throw err;
  }
  if (bytes !== length) return { ok: false, reason: `data file holds ${bytes} bytes, metadata says ${length}`, bytes };
  const actual = md5.digest('hex');
  if (actual !== etag) return { ok: false, reason: `MD5 ${actual} does not match the stored ETag ${etag}`, bytes };
  return { ok: true, bytes };
}

export const auditorDefinition: WorkerDefinition = {
  name: 'auditor',
  defaultIntervalMs: 30 * 60_000,
  configure(r, base) {
    const settings: AuditorSettings = { bytesPerSecond: r.number(`${base}.bytesPerSecond`, 10 * 1024 * 1024, 1024, 10 * 1024 * 1024 * 1024) };
    return (ctx) => new Auditor(ctx, settings);
  },
};
