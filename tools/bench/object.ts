#!/usr/bin/env node
/**
 * `npm run bench:object`: the object store's throughput through the proxy's Swift HTTP face, on a
 * cluster of real processes on this machine (3 storage servers, 3 replicas, fsync on, token auth
 * via /auth/v1.0 against a real identity service). Not a test: it prints figures and the targets
 * of issue 5 next to them.
 *
 * Phases: 4 KiB PUT then GET at concurrency 32 (ops/s), 64 MiB PUT then GET at concurrency 4
 * (MB/s), a full listing of a container holding 100,000 objects, and one 1 GiB object streamed
 * up and down while the proxy's RSS is sampled. Peak RSS (VmHWM) of every process at the end.
 * Each 4 KiB phase is measured after --warmup seconds of the same operation (see Options).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { decodeRingFile, ringFilePath, Ring } from '../../services/object/ring';
import { readProcMemory } from './proc';
import { diskCeilingText, probeDisk } from './disk-probe';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { LeanGetPool, type ExpectedBody, type LeanReply } from './lean-get';
import { cpuPerOpText, cpuSnapshot } from './object-cpu';
import { summarize, MIB } from './stats';
import { startObjectBenchCluster, type BenchProcess, type ObjectBenchCluster } from './object-cluster-process';

interface Options {
  seconds: number;
  smallConcurrency: number;
  largeConcurrency: number;
  largeObjects: number;
  listingObjects: number;
  hugeMiB: number;
  servers: number;
  /** 1 (default): storage servers sync before acknowledging; 0 only to see what syncing costs. */
  fsync: number;
  /**
   * Seconds of the same operation before each 4 KiB phase is measured (and one unmeasured 64 MiB
   * PUT and GET before those phases): the processes are fresh, and V8 spends seconds of CPU
   * compiling hot code at first (measured: ~4.8 s in the proxy over the first 20 s), which is not
   * what a running cluster pays. 20 s by default: after 5 s the storage servers still spent about
   * twice the CPU per 4 KiB PUT of a steady state (5.9-6.0 ms vs 3.2-3.3 ms in back-to-back runs;
   * their file-system threads too, as inode creations right after a previous run's mass
   * deletions are slow on this journal-less ext4, see docs/ARCHITECTURE.md). 0 measures from a
   * cold start.
   */
  warmup: number;
  /** 1 (default): at the end, measure what the disk itself does with fsync (disk-probe.ts). */
  diskProbe: number;
  /**
   * Seconds to wait after syncing the disk, before the cluster starts. ext4 without a journal
   * (this machine's) skips inodes freed in the last 60 s when it allocates new ones, scanning
   * past them (kernel `recently_deleted`), and 360 s when their inode-table block is dirty, which
   * it is again as soon as the new run creates files next to them. So right after an earlier
   * run's cleanup, or a test run, file creations cost several times their steady cost.
   * Measured: back-to-back 4 KiB PUT runs fell from ~400/s to ~190-280/s; with a 65 s settle they
   * gave 307-392/s with 7-10% of all CPU in that scan, with 370 s 452/s and the scan gone.
   * 370 by default, past the longer window.
   */
  settle: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { seconds: 10, smallConcurrency: 32, largeConcurrency: 4, largeObjects: 8, listingObjects: 100_000, hugeMiB: 1024, servers: 3, fsync: 1, warmup: 20, diskProbe: 1, settle: 370 };
  const keys: Record<string, keyof Options> = {
    '--seconds': 'seconds',
    '--small-concurrency': 'smallConcurrency',
    '--large-concurrency': 'largeConcurrency',
    '--large-objects': 'largeObjects',
    '--listing-objects': 'listingObjects',
    '--huge-mib': 'hugeMiB',
    '--servers': 'servers',
    '--fsync': 'fsync',
    '--warmup': 'warmup',
    '--disk-probe': 'diskProbe',
    '--settle': 'settle',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = keys[argv[i]];
    const v = Number(argv[i + 1]);
    if (!key || !Number.isInteger(v) || v < 0) throw new Error(`usage: bench:object [${Object.keys(keys).join(' N] [')} N]`);
    o[key] = v;
    i++;
  }
  return o;
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  bytes: number;
}

class SwiftClient {
  readonly agent: Agent;
  constructor(
    private readonly base: string,
    private readonly token: string,
    readonly account: string,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  call(method: string, path: string, body?: Buffer | Readable, headers: Record<string, string | number> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${this.base}/v1/${this.account}${path}`);
      const h: Record<string, string | number> = { 'X-Auth-Token': this.token, ...headers };
      if (Buffer.isBuffer(body)) h['Content-Length'] = body.length;
      const req = request(url, { method, agent: this.agent, headers: h }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }
}

/** A stream of `total` bytes made of a repeated random 1 MiB block (no large buffers in the bench). */
function patternStream(total: number, block: Buffer): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(block.length, total - sent);
      sent += n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

function patternMd5(total: number, block: Buffer): string {
  const h = createHash('md5');
  for (let sent = 0; sent < total; sent += block.length) h.update(block.subarray(0, Math.min(block.length, total - sent)));
  return h.digest('hex');
}

/**
 * What a mismatching GET body got wrong. Where the bytes that arrived instead also occur in the
 * pattern, their offset there tells shifted, repeated or stale data (say, a reused buffer) from noise.
 */
function wrongBytesText(r: LeanReply, body: ExpectedBody): string {
  const at = r.mismatchAt ?? 0;
  const text = [`${r.bytes} of ${body.length} bytes read, first difference at byte ${at}`];
  if (r.received && r.received.length > 0) {
    const from = body.pattern.indexOf(r.received);
    const expectedFrom = at % Math.max(1, body.pattern.length);
    text.push(from >= 0 ? `the ${r.received.length} bytes there are the pattern's from offset ${from}, not ${expectedFrom}` : `the ${r.received.length} bytes there (${r.received.toString('hex')}) are not in the pattern`);
  }
  return text.join('; ');
}

async function pool(concurrency: number, deadlineMs: number, maxOps: number, op: (i: number) => Promise<void>): Promise<{ ops: number; ms: number; latencies: number[] }> {
  let next = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + deadlineMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end && next < maxOps) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { ops: latencies.length, ms: performance.now() - start, latencies };
}

function expect(r: Reply, statuses: number[], what: string): void {
  if (!statuses.includes(r.status)) throw new Error(`${what}: HTTP ${r.status}`);
}

async function login(cluster: ObjectBenchCluster): Promise<{ token: string; account: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.proxyUrl}/auth/v1.0`, { headers: { 'X-Auth-User': 'admin:admin', 'X-Auth-Key': cluster.adminPassword } }, (res) => {
      res.resume();
      const token = res.headers['x-auth-token'];
      const url = res.headers['x-storage-url'];
      if (res.statusCode !== 200 || typeof token !== 'string' || typeof url !== 'string') return reject(new Error(`/auth/v1.0: HTTP ${res.statusCode}`));
      resolve({ token, account: url.slice(url.lastIndexOf('/') + 1) });
    });
    req.on('error', reject);
    req.end();
  });
}

function rate(n: number, ms: number): string {
  return (n / (ms / 1000)).toFixed(0);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // Deleting many files (an earlier run's cluster, a test run) leaves ext4 work behind that
  // slows the next file creations for a minute (inode allocation scanning past recently freed
  // inodes; see Options.settle). Settle it first, so the PUT phase measures the object store
  // and not the previous run's cleanup.
  await settleDisk(o.settle * 1000);
  const cluster = await startObjectBenchCluster({ servers: o.servers, replicas: 3, partPower: 10, fsync: o.fsync !== 0 });
  const out = (s: string): void => void process.stdout.write(s + '\n');
  try {
    const { token, account } = await login(cluster);
    const swift = new SwiftClient(cluster.proxyUrl, token, account, Math.max(o.smallConcurrency, o.largeConcurrency));
    out(`cluster: ${o.servers} storage servers, 3 replicas, fsync ${o.fsync !== 0 ? 'on' : 'OFF'}, proxy ${cluster.proxyUrl}, account ${account}`);
    expect(await swift.call('PUT', '/bench'), [201, 202], 'PUT container');

    const pids: Record<string, number> = { proxy: cluster.proxy.pid };
    cluster.storage.forEach((s, i) => (pids[`s${i + 1}`] = s.pid));
    const cpu = (before: ReturnType<typeof cpuSnapshot>, ops: number): void => out(`  ${cpuPerOpText(before, cpuSnapshot(pids), ops)}`);

    // 4 KiB objects.
    const small = randomBytes(4096);
    const smallMd5 = createHash('md5').update(small).digest('hex');
    const proxyUrl = new URL(cluster.proxyUrl);
    const lean = new LeanGetPool(proxyUrl.hostname, Number(proxyUrl.port));
    const putSmall = async (name: string): Promise<void> => {
      const r = await lean.put(`/v1/${account}/bench/${name}`, { 'X-Auth-Token': token }, small);
      if (r.status !== 201) throw new Error(`PUT 4 KiB: HTTP ${r.status} (${r.headers.get('x-trans-id') ?? 'no X-Trans-Id'})`);
      if (r.headers.get('etag')?.replace(/"/g, '') !== smallMd5) throw new Error(`PUT 4 KiB: ETag ${String(r.headers.get('etag'))}, expected ${smallMd5}`);
    };
    const warm = o.warmup > 0 ? await pool(o.smallConcurrency, o.warmup * 1000, 1_000_000, (i) => putSmall(`warm-${i}`)) : undefined;
    if (warm) out(`(warm-up: ${warm.ops} PUTs in ${o.warmup} s, then ${o.warmup} s of GETs, not measured)`);
    let c0 = cpuSnapshot(pids);
    const put = await pool(o.smallConcurrency, o.seconds * 1000, 1_000_000, (i) => putSmall(`small-${i}`));
    const ps = summarize(put.latencies);
    out(`PUT 4 KiB, C=${o.smallConcurrency}: ${rate(put.ops, put.ms)} ops/s (${put.ops} in ${(put.ms / 1000).toFixed(1)} s; p50 ${ps.p50Ms.toFixed(1)} ms, p99 ${ps.p99Ms.toFixed(1)} ms)   target >= 500`);
    cpu(c0, put.ops);
    out(`  ${await creationsText(cluster.storage)}`);
    const readChecked = async (name: string, md5: string, body: ExpectedBody, what: string): Promise<void> => {
      const r = await lean.get(`/v1/${account}/bench/${name}`, { 'X-Auth-Token': token }, body);
      if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}`);
      if (!r.matches) throw new Error(`${what}: wrong bytes (${wrongBytesText(r, body)}; ${r.headers.get('x-trans-id') ?? 'no X-Trans-Id'})`);
      const etag = r.headers.get('etag')?.replace(/"/g, '');
      if (etag !== md5) throw new Error(`${what}: wrong ETag ${String(etag)}, expected ${md5}`);
    };
    const smallBody: ExpectedBody = { pattern: small, length: small.length };
    if (warm) await pool(o.smallConcurrency, o.warmup * 1000, 1_000_000, (i) => readChecked(`warm-${i % warm.ops}`, smallMd5, smallBody, 'GET 4 KiB'));
    c0 = cpuSnapshot(pids);
    const get = await pool(o.smallConcurrency, o.seconds * 1000, 1_000_000, (i) => readChecked(`small-${i % put.ops}`, smallMd5, smallBody, 'GET 4 KiB'));
    const gs = summarize(get.latencies);
    out(`GET 4 KiB, C=${o.smallConcurrency}: ${rate(get.ops, get.ms)} ops/s (${get.ops} in ${(get.ms / 1000).toFixed(1)} s; p50 ${gs.p50Ms.toFixed(1)} ms, p99 ${gs.p99Ms.toFixed(1)} ms)   target >= 1,600`);
    cpu(c0, get.ops);
    c0 = cpuSnapshot(pids);

    // 64 MiB objects.
    const block = randomBytes(MIB);
    const large = 64 * MIB;
    const largeMd5 = patternMd5(large, block);
    const largeBody: ExpectedBody = { pattern: block, length: large };
    if (o.warmup > 0 && o.largeObjects > 0) {
      expect(await swift.call('PUT', '/bench/large-warm', patternStream(large, block), { 'Content-Length': large }), [201], 'PUT 64 MiB');
      await readChecked('large-warm', largeMd5, largeBody, 'GET 64 MiB');
    }
    c0 = cpuSnapshot(pids);
    const lput = await pool(o.largeConcurrency, 600_000, o.largeObjects, async (i) => {
      const r = await swift.call('PUT', `/bench/large-${i}`, patternStream(large, block), { 'Content-Length': large });
      expect(r, [201], 'PUT 64 MiB');
      if (r.headers.etag !== largeMd5) throw new Error(`PUT 64 MiB: etag ${String(r.headers.etag)}`);
    });
    out(`PUT 64 MiB, C=${o.largeConcurrency}: ${((lput.ops * large) / 1e6 / (lput.ms / 1000)).toFixed(0)} MB/s (${lput.ops} objects in ${(lput.ms / 1000).toFixed(1)} s)   target >= 200`);
    cpu(c0, lput.ops);
    c0 = cpuSnapshot(pids);
    const lget = await pool(o.largeConcurrency, 600_000, o.largeObjects, (i) => readChecked(`large-${i}`, largeMd5, largeBody, 'GET 64 MiB'));
    out(`GET 64 MiB, C=${o.largeConcurrency}: ${((lget.ops * large) / 1e6 / (lget.ms / 1000)).toFixed(0)} MB/s (${lget.ops} objects in ${(lget.ms / 1000).toFixed(1)} s)   target >= 400`);
    cpu(c0, lget.ops);

    // Listing of a container with many objects. Filling it through the proxy would take minutes
    // at the PUT rate above, so the rows are written the way object servers write them (the
    // container layer's object-row PUT on every container replica); the listing itself is then
    // read through the proxy like any client would.
    if (o.listingObjects > 0) {
      expect(await swift.call('PUT', '/listing'), [201, 202], 'PUT container');
      const ring = new Ring(decodeRingFile(readFileSync(ringFilePath(cluster.ringDir, 'container'))), { prefix: cluster.hashPathPrefix, suffix: cluster.hashPathSuffix });
      const { partition, nodes } = ring.getNodes(account, 'listing');
      const rowAgent = new Agent({ keepAlive: true, maxSockets: 64 });
      const putRow = (node: (typeof nodes)[number], name: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = request(
            { host: node.ip, port: node.port, method: 'PUT', agent: rowAgent, path: `/${node.device}/${partition}/${account}/listing/${encodeURIComponent(name)}`,
              headers: { 'X-Backend-Storage-Layer': 'container', 'X-Timestamp': (Date.now() / 1000).toFixed(5), 'X-Size': 0, 'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e', 'X-Content-Type': 'application/octet-stream' } },
            (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0))),
          );
          req.on('error', reject);
          req.end();
        });
      const fill = await pool(64, 3_600_000, o.listingObjects, async (i) => {
        const name = `obj-${String(i).padStart(7, '0')}`;
        const statuses = await Promise.all(nodes.map((n) => putRow(n, name)));
        if (statuses.some((s) => s !== 201)) throw new Error(`container row PUT: ${statuses.join(',')}`);
      });
      rowAgent.destroy();
      out(`filled /listing with ${fill.ops} rows on its ${nodes.length} container replicas in ${(fill.ms / 1000).toFixed(1)} s (${rate(fill.ops, fill.ms)} rows/s)`);
      const t = performance.now();
      let marker = '';
      let names = 0;
      let pages = 0;
      for (;;) {
        const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request(new URL(`${cluster.proxyUrl}/v1/${account}/listing?format=json&limit=10000&marker=${encodeURIComponent(marker)}`), { agent: swift.agent, headers: { 'X-Auth-Token': token } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          });
          req.on('error', reject);
          req.end();
        });
        if (r.status === 204) break;
        if (r.status !== 200) throw new Error(`GET listing: HTTP ${r.status}`);
        const page = JSON.parse(r.body) as { name: string }[];
        if (page.length === 0) break;
        pages++;
        names += page.length;
        marker = page[page.length - 1].name;
        if (page.length < 10000) break;
      }
      out(`listing of ${names} objects (${pages} pages of up to 10,000, JSON): ${(performance.now() - t).toFixed(0)} ms`);
    }

    // One huge object up and down, proxy RSS sampled.
    if (o.hugeMiB > 0) {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, readProcMemory(cluster.proxy.pid)?.rssBytes ?? 0)), 50);
      const huge = o.hugeMiB * MIB;
      const t0 = performance.now();
      const r1 = await swift.call('PUT', '/bench/huge', patternStream(huge, block), { 'Content-Length': huge });
      expect(r1, [201], 'PUT huge');
      const t1 = performance.now();
      await readChecked('huge', patternMd5(huge, block), { pattern: block, length: huge }, 'GET huge');
      clearInterval(sampler);
      out(`${o.hugeMiB} MiB object: PUT ${((huge / 1e6) / ((t1 - t0) / 1000)).toFixed(0)} MB/s, GET ${((huge / 1e6) / ((performance.now() - t1) / 1000)).toFixed(0)} MB/s; proxy RSS peak while streaming ${(peak / MIB).toFixed(0)} MiB   target < 200 MB`);
    }

    const hwm = (pid: number): string => `${((readProcMemory(pid)?.hwmBytes ?? NaN) / MIB).toFixed(0)} MiB`;
    out(`peak RSS (VmHWM): proxy ${hwm(cluster.proxy.pid)}; storage ${cluster.storage.map((s) => hwm(s.pid)).join(', ')}`);
    lean.close();
  } finally {
    await cluster.stop();
  }
  // After the cluster is gone, so nothing else competes for the disk (and its files' removal
  // cannot slow a phase above).
  if (o.diskProbe && o.fsync) diskCeilingText(await probeDisk(tmpdir()), 3).forEach(out);
}

/**
 * Where the storage servers' inode creations ran so far (storage/diskfile/creation-gate.ts): a
 * run whose creations went to the pool met a file system slow at creating inodes.
 */
async function creationsText(servers: readonly BenchProcess[]): Promise<string> {
  const parts = await Promise.all(
    servers.map(async (s, i) => {
      const res = await fetch(`http://127.0.0.1:${String(s.ready.port)}/recon/stats`);
      const c = ((await res.json()) as { creations?: { inline?: number; pooled?: number; slowSpells?: number; medianMicros?: number } }).creations ?? {};
      return `s${i + 1} ${c.inline ?? '?'} inline / ${c.pooled ?? '?'} pooled, ${c.slowSpells ?? '?'} slow spells (median ${c.medianMicros?.toFixed(0) ?? '?'} us)`;
    }),
  );
  return `inode creations since start: ${parts.join(', ')}`;
}

async function settleDisk(ms: number): Promise<void> {
  await new Promise<void>((resolve) => execFile('sync', () => resolve()));
  await new Promise((r) => setTimeout(r, ms));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:object failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
