/**
 * The namespace harness itself, on a real kernel (root):
 *
 *            <prefix>-ul: br-ul
 *             /            \
 *   <prefix>-h1             <prefix>-h2
 *   ul0 10.250.0.11/24      ul0 10.250.0.12/24
 *
 * ping both ways, a TCP echo and a long-lived session, a capture that sees the pings and one that
 * sees nothing, a continuous ping with no loss, and cleanup leaving no namespace of the run.
 */
import { describeIfCapable } from './harness/capabilities';
import { ip, RunScope, sweepStale } from './harness/netns';
import { createUnderlay, type Underlay } from './harness/topology';
import { canPing, capture, continuousPing, openTcpSession, ping, tcpConnect, tcpServe } from './harness/traffic';

async function namesOfRun(prefix: string): Promise<string[]> {
  const out = (await ip(null, ['-j', 'netns', 'list'])).stdout;
  return out.trim() ? (JSON.parse(out) as { name: string }[]).map((n) => n.name).filter((n) => n.startsWith(`${prefix}-`)) : [];
}

describeIfCapable('dataplane test harness', () => {
  let scope: RunScope;
  let ul: Underlay;

  beforeAll(async () => {
    await sweepStale();
    scope = RunScope.open();
    ul = await createUnderlay(scope, 2);
  }, 30_000);

  afterAll(async () => {
    await scope?.cleanup();
  }, 30_000);

  test('the topology: two hosts with their underlay addresses, forwarding off', async () => {
    expect(ul.hosts.map((h) => [h.ns, h.underlayIp])).toEqual([
      [scope.name('h1'), '10.250.0.11'],
      [scope.name('h2'), '10.250.0.12'],
    ]);
    expect(scope.namespaces().sort()).toEqual([scope.name('h1'), scope.name('h2'), scope.name('ul')].sort());
    const fwd = await scope.exec(ul.hosts[0].ns, ['cat', '/proc/sys/net/ipv4/ip_forward']);
    expect(fwd.stdout.trim()).toBe('0');
  });

  test('hosts ping each other over the underlay', async () => {
    const [h1, h2] = ul.hosts;
    expect(await ping(h1.ns, h2.underlayIp, { count: 3, intervalMs: 50 })).toEqual({ sent: 3, received: 3 });
    expect(await canPing(h2.ns, h1.underlayIp)).toBe(true);
    // Nobody answers at .99: false within the deadline.
    const t0 = Date.now();
    expect(await canPing(h1.ns, '10.250.0.99', { deadlineMs: 1500 })).toBe(false);
    expect(Date.now() - t0).toBeLessThan(8000);
  }, 20_000);

  test('TCP echo: connect succeeds to the server, fails to a closed port', async () => {
    const [h1, h2] = ul.hosts;
    const server = await tcpServe(scope, h2.ns, h2.underlayIp, 7000);
    expect(await tcpConnect(h1.ns, h2.underlayIp, 7000)).toBe(true);
    expect(await tcpConnect(h1.ns, h2.underlayIp, 7001, { timeoutMs: 1000 })).toBe(false);
    expect(server.connections()).toBe(1);

    const session = await openTcpSession(scope, h1.ns, h2.underlayIp, 7000, { intervalMs: 50 });
    await session.waitEchoes(5, 5000);
    await server.stop();
    // The server going away breaks the session, and the session says so.
    for (let i = 0; i < 100 && session.status().broken === null; i++) await new Promise((r) => setTimeout(r, 50));
    const final = await session.close();
    expect(final.broken).toMatch(/closed by peer|ECONNRESET/);
    expect(final.echoed).toBeGreaterThanOrEqual(5);
    expect(final.localPort).toBeGreaterThan(0);
  }, 30_000);

  test('capture sees the pings it should, and nothing that did not happen', async () => {
    const [h1, h2] = ul.hosts;
    const seen = await capture(scope, ul.ns, 'h2', 'icmp', () => ping(h1.ns, h2.underlayIp, { count: 2, intervalMs: 50 }));
    expect(seen.value.received).toBe(2);
    expect(seen.count).toBe(4); // two requests and two replies crossed h2's underlay port
    const quiet = await capture(scope, h1.ns, 'ul0', 'tcp port 9', async () => ping(h1.ns, h2.underlayIp, { count: 1 }));
    expect(quiet.count).toBe(0);
  }, 30_000);

  test('continuous ping: counts per sequence number, nothing lost on a quiet underlay', async () => {
    const [h1, h2] = ul.hosts;
    const cp = continuousPing(scope, h1.ns, h2.underlayIp, 20);
    await new Promise((r) => setTimeout(r, 600));
    const r = await cp.stop(300);
    expect(r.ended).toBeNull();
    expect(r.sent).toBeGreaterThan(10);
    expect(r.lostSeqs).toEqual([]);
    expect(r.received).toBe(r.sent);
  }, 20_000);

  test('cleanup removes every namespace of the run, and is safe to call twice', async () => {
    const spare = scope.name('spare');
    await scope.addNetns('spare');
    scope.spawnIn(spare, ['sleep', '300']);
    await scope.cleanup();
    await scope.cleanup();
    expect(await namesOfRun(scope.prefix)).toEqual([]);
    expect(() => scope.spawnIn(spare, ['true'])).toThrow(/already cleaned up/);
  }, 30_000);
});
