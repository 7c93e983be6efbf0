#!/usr/bin/env node
/**
 * Dataplane benchmark: `npm run bench:dataplane -- [--quick] [--ports N] [--cold N] [--resync N]`.
 * Not a test. It builds the same small cloud as the dataplane tests (real identity + controller,
 * host namespaces on an underlay, one linuxbridge agent process per host) and measures:
 *   1. port-to-wire latency: CreatePort with binding.host_id → plug → first echo reply from a
 *      peer instance on another host, one port at a time (default 150 ports on one host);
 *   2. cold wiring: with the agent of a fresh host stopped, N ports (default 500) are created and
 *      their devices plugged; the time from starting the agent to all N ports ACTIVE;
 *   3. resync: with 2N ports (default 1,000) wired, the agent is SIGKILLed and restarted during a
 *      continuous ping through that host; time from start to ready (listed, reconciled) and the
 *      pings lost;
 *   4. the agent's RSS with those ports.
 * Needs root (namespaces); everything it creates is removed at the end, also on errors.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PortStatus, type Network, type Port, type Subnet } from '../../proto/gen/weft/network/v1/resources';
import { plugInstance, specFromPort } from '../../dataplane/plug/plug';
import { Cloud, type HostHandle } from '../../test/dataplane/scenarios/cloud';
import { exec } from '../../test/dataplane/harness/proc';
import { continuousPing } from '../../test/dataplane/harness/traffic';
import { formatMiB, summarize } from './stats';

interface Options {
  ports: number;
  cold: number;
  resync: number;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const num = (flag: string, dflt: number): number => {
    const i = argv.indexOf(flag);
    if (i < 0) return dflt;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} takes a positive integer`);
    return v;
  };
  return { ports: num('--ports', quick ? 20 : 150), cold: num('--cold', quick ? 50 : 500), resync: num('--resync', quick ? 100 : 1000) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Returns at the first echo reply from `ns` to `ip` (bounded at 10 s). ping sends every 5 ms; it
 * gives up early when the address does not resolve yet (iputils counts that error towards -c), so
 * it is restarted at once until the deadline.
 */
async function firstReply(ns: string, ip: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (let attempt = 0; attempt < 10_000 && performance.now() < deadline; attempt++) {
    const r = await exec(ns, ['ping', '-n', '-q', '-c', '1', '-i', '0.005', '-w', '1', ip], { allowFailure: true, timeoutMs: 5000 });
    if (r.code === 0) return;
  }
  throw new Error(`no reply from ${ip} within 10 s`);
}

/**
 * The probe's resolution: the peer's ARP for a new port keeps asking every 2 ms (up to 200 times)
 * instead of failing after 3 tries 1 s apart, so the first reply arrives as soon as the port is
 * wired rather than at the next retry. Set inside the peer instance only.
 */
async function fastArp(ns: string): Promise<void> {
  await exec(ns, ['sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.retrans_time_ms=2', 'net.ipv4.neigh.eth0.mcast_solicit=200']);
}

async function createBound(cloud: Cloud, projectId: string, net: Network, host: HostHandle): Promise<Port> {
  return cloud.admin().createPort({ port: { projectId, networkId: net.id, binding: { hostId: host.name } } });
}

/** Host-side devices for ports without instances: veth pairs whose other end stays in the host. */
async function plugBare(host: HostHandle, ports: Port[], mtu: number): Promise<void> {
  const lines: string[] = [];
  ports.forEach((p) => {
    const tap = p.binding!.vifDetails.tap_name;
    const peer = `bp${p.id.slice(0, 11)}`;
    lines.push(`link add ${tap} mtu ${mtu} type veth peer name ${peer} mtu ${mtu} address ${p.macAddress}`, `link set ${peer} up`, `link set ${tap} up`);
  });
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('ip', ['-n', host.ns, '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`ip -batch failed: ${r.stderr}`);
}

async function countActive(cloud: Cloud, host: HostHandle): Promise<number> {
  let n = 0;
  let pageToken = '';
  for (let i = 0; i < 1000; i++) {
    const page = await cloud.admin().listPorts({ hostId: host.name, pageSize: 1000, pageToken });
    n += page.ports.filter((p) => p.status === PortStatus.PORT_STATUS_ACTIVE).length;
    pageToken = page.nextPageToken;
    if (!pageToken) break;
  }
  return n;
}

async function waitActive(cloud: Cloud, host: HostHandle, count: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await countActive(cloud, host)) >= count) return performance.now() - t0;
    await sleep(50);
  }
  throw new Error(`${count} ports on ${host.name} not ACTIVE within ${timeoutMs} ms (have ${await countActive(cloud, host)})`);
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function createMany(cloud: Cloud, projectId: string, net: Network, host: HostHandle, n: number): Promise<Port[]> {
  const out: Port[] = [];
  const queue = Array.from({ length: n }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (queue.shift() !== undefined) out.push(await createBound(cloud, projectId, net, host));
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('bench:dataplane needs root (network namespaces)');
  process.stdout.write(`bench:dataplane: ${opts.ports} ports port-to-wire, ${opts.cold} cold, ${opts.resync} resync\n`);
  const cloud = await Cloud.start({ hosts: 3, backend: 'linuxbridge', resyncMs: 2000 });
  const report: Record<string, unknown> = {};
  try {
    const [h1, h2, h3] = cloud.hosts;
    const projectId = await cloud.ctl.projectId('bench');
    const { net } = await cloud.network('bench', 'bench', '10.100.0.0/16');
    const subnets: Subnet[] = (await cloud.admin().listSubnets({ networkId: net.id })).subnets;
    const peer = await cloud.boot('bench', h2, net);
    await fastArp(peer.ns);

    // 1. Port-to-wire, one port at a time on host1.
    const samples: number[] = [];
    const phases = { create: [] as number[], plug: [] as number[], ping: [] as number[] };
    for (let i = 0; i < opts.ports; i++) {
      const t0 = performance.now();
      const port = await createBound(cloud, projectId, net, h1);
      const t1 = performance.now();
      const ns = cloud.scope.adopt(cloud.scope.name(`w${i}`));
      await plugInstance(specFromPort(port, subnets, net, { instance: ns, hostNetns: h1.ns }));
      const t2 = performance.now();
      await firstReply(peer.ns, port.fixedIps[0].ipAddress);
      const t3 = performance.now();
      samples.push(t3 - t0);
      phases.create.push(t1 - t0);
      phases.plug.push(t2 - t1);
      phases.ping.push(t3 - t2);
    }
    const s = summarize(samples);
    const p50 = (xs: number[]) => summarize(xs).p50Ms.toFixed(0);
    for (const n of [20, 50]) {
      if (samples.length <= n) continue;
      const first = summarize(samples.slice(0, n));
      process.stdout.write(`port-to-wire, first ${n} ports: p50 ${first.p50Ms.toFixed(0)} ms, p99 ${first.p99Ms.toFixed(0)} ms\n`);
      report[`portToWireFirst${n}`] = { p50Ms: first.p50Ms, p99Ms: first.p99Ms };
    }
    report.portToWire = { ports: opts.ports, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, p50CreateMs: summarize(phases.create).p50Ms, p50PlugMs: summarize(phases.plug).p50Ms, p50PlugToReplyMs: summarize(phases.ping).p50Ms };
    process.stdout.write(`port-to-wire over ${opts.ports} ports: p50 ${s.p50Ms.toFixed(0)} ms, p99 ${s.p99Ms.toFixed(0)} ms, max ${s.maxMs.toFixed(0)} ms (targets p50 < 150, p99 < 300)\n`);
    process.stdout.write(`  p50 of the parts: CreatePort ${p50(phases.create)} ms, plug (compute side, ip commands) ${p50(phases.plug)} ms, plugged → first reply ${p50(phases.ping)} ms\n`);

    // 2. Cold agent on host3: ports and devices exist before the agent starts.
    const probe = await cloud.boot('bench', h3, net);
    h3.agent.kill('SIGKILL');
    await h3.agent.exited;
    const cold = await createMany(cloud, projectId, net, h3, opts.cold);
    await plugBare(h3, cold, net.mtu);
    const tCold = performance.now();
    await cloud.startAgent(h3);
    await waitActive(cloud, h3, opts.cold + 1, 600_000);
    const wiredMs = performance.now() - tCold;
    report.cold = { ports: opts.cold, ms: wiredMs };
    process.stdout.write(`cold agent wires ${opts.cold} ports in ${(wiredMs / 1000).toFixed(2)} s (target < 15 s)\n`);

    // 3. Resync with `resync` ports after SIGKILL, during a continuous ping through host3.
    const more = await createMany(cloud, projectId, net, h3, Math.max(0, opts.resync - opts.cold));
    await plugBare(h3, more, net.mtu);
    await waitActive(cloud, h3, opts.resync + 1, 600_000);
    await sleep(3000);
    const rssBefore = rssOf(h3.agent.pid);
    const pinger = continuousPing(cloud.scope, peer.ns, probe.ip, 20, { maxDurationMs: 120_000 });
    await sleep(500);
    h3.agent.kill('SIGKILL');
    await h3.agent.exited;
    const tRestart = performance.now();
    await cloud.startAgent(h3);
    const resyncMs = performance.now() - tRestart;
    await sleep(1500);
    const ping = await pinger.stop();
    await sleep(3000);
    const rssAfter = rssOf(h3.agent.pid);
    report.resync = { ports: opts.resync, ms: resyncMs, pingsSent: ping.sent, pingsLost: ping.lostSeqs.length };
    report.agentRss = { beforeRestart: rssBefore, afterResync: rssAfter };
    process.stdout.write(`resync of ${opts.resync} ports after SIGKILL: ready in ${(resyncMs / 1000).toFixed(2)} s (target < 5 s); pings lost ${ping.lostSeqs.length} of ${ping.sent}\n`);
    process.stdout.write(`agent RSS with ${opts.resync} ports: ${formatMiB(rssBefore)} (steady), ${formatMiB(rssAfter)} (after resync)\n`);
    process.stdout.write(JSON.stringify(report) + '\n');
  } finally {
    await cloud.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dataplane failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
