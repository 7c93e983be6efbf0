/**
 * TCP probes made of tiny Node programs run inside namespaces (the same `node` binary as the test,
 * so no extra tool is needed): an echo server, a one-shot connect-and-echo check, and a long-lived
 * session that sends a numbered line every interval and reports the first time an echo is late,
 * the connection errors, or it closes — the probe for "an established flow survives a change".
 */
import type { Netns, RunScope, SpawnHandle } from './netns';
import { exec } from './proc';

const ECHO_SERVER = `
const net = require('net');
const [host, port] = process.argv.slice(1);
const srv = net.createServer((s) => {
  console.log('conn ' + s.remoteAddress + ' ' + s.remotePort);
  s.on('error', () => {});
  s.pipe(s);
});
srv.on('error', (e) => { console.error('error ' + e.message); process.exit(2); });
srv.listen({ host, port: Number(port) }, () => console.log('listening'));
`;

const CONNECT_ONCE = `
const net = require('net');
const [host, port, timeoutMs] = process.argv.slice(1);
const token = 'weft-probe-' + process.pid + '\\n';
const done = (code, why) => { console.log(why); process.exit(code); };
setTimeout(() => done(1, 'timeout'), Number(timeoutMs));
const s = net.connect({ host, port: Number(port) });
let got = '';
s.on('connect', () => s.write(token));
s.on('data', (d) => { got += d; if (got.includes(token)) done(0, 'ok'); });
s.on('error', (e) => done(1, 'error ' + (e.code || e.message)));
s.on('close', () => done(1, 'closed'));
`;

const SESSION = `
const net = require('net');
const [host, port, intervalMs, replyTimeoutMs, connectTimeoutMs] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const pending = new Map();
let seq = 0, buf = '';
const broken = (why) => { console.log('broken ' + why); process.exit(2); };
process.on('SIGTERM', () => { console.log('stopped'); process.exit(0); });
const connectTimer = setTimeout(() => broken('connect timeout'), connectTimeoutMs);
const s = net.connect({ host, port });
s.setNoDelay(true);
s.on('connect', () => {
  clearTimeout(connectTimer);
  console.log('connected ' + s.localPort);
  setInterval(() => {
    const now = Date.now();
    for (const [q, at] of pending) if (now - at > replyTimeoutMs) broken('no echo of seq ' + q + ' within ' + replyTimeoutMs + ' ms');
    seq++;
    pending.set(seq, now);
    s.write('seq ' + seq + '\\n');
    console.log('sent ' + seq);
  }, intervalMs);
});
s.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const q = Number(buf.slice(0, i).split(' ')[1]);
    buf = buf.slice(i + 1);
    if (pending.delete(q)) console.log('echo ' + q);
  }
});
s.on('error', (e) => broken('error ' + (e.code || e.message)));
s.on('close', () => broken('closed by peer'));
`;

const node = (script: string, args: (string | number)[]): string[] => [process.execPath, '-e', script, ...args.map(String)];

export interface TcpServer {
  readonly handle: SpawnHandle;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** An echo server on ip:port inside ns, ready (listening) when this resolves. */
export async function tcpServe(scope: RunScope, ns: string, ip: string, port: number, opts: { readyTimeoutMs?: number } = {}): Promise<TcpServer> {
  const handle = scope.spawnIn(ns, node(ECHO_SERVER, [ip, port]));
  let connections = 0;
  handle.onLine((l) => {
    if (l.startsWith('conn ')) connections++;
  });
  await handle.waitFor(/^listening$/, opts.readyTimeoutMs ?? 5000);
  return { handle, connections: () => connections, stop: async () => void (await handle.stop()) };
}

/**
 * One connection attempt from ns to ip:port that succeeds only if a line sent comes back (so a
 * SYN let through but data dropped still fails). False on refusal, reset or timeout.
 */
export async function tcpConnect(ns: string, ip: string, port: number, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const r = await exec(ns, node(CONNECT_ONCE, [ip, port, timeoutMs]), { timeoutMs: timeoutMs + 5000, allowFailure: true });
  return r.code === 0 && r.stdout.includes('ok');
}

export interface TcpSessionStatus {
  /** Lines sent and echoed so far. */
  sent: number;
  echoed: number;
  /** Why the session broke (late echo, error, close), or null while it holds. */
  broken: string | null;
  /** The client's local port (to find the flow in conntrack). */
  localPort: number;
}

export interface TcpSession {
  status(): TcpSessionStatus;
  /** Resolves once at least n more echoes arrived (rejects if the session breaks or on timeout). */
  waitEchoes(n: number, timeoutMs: number): Promise<void>;
  /** Stops the client and returns the final status. */
  close(): Promise<TcpSessionStatus>;
}

export interface TcpSessionOptions {
  /** Between lines; default 200 ms. */
  intervalMs?: number;
  /** An echo later than this breaks the session; default 2000 ms. */
  replyTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Opens a long-lived session from ns to an echo server at ip:port; resolves once connected. */
export async function openTcpSession(scope: RunScope, ns: Netns, ip: string, port: number, opts: TcpSessionOptions = {}): Promise<TcpSession> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
  const handle = scope.spawnIn(ns, node(SESSION, [ip, port, opts.intervalMs ?? 200, opts.replyTimeoutMs ?? 2000, connectTimeoutMs]));
  const st: TcpSessionStatus = { sent: 0, echoed: 0, broken: null, localPort: 0 };
  handle.onLine((l) => {
    const [word, rest] = [l.split(' ', 1)[0], l.slice(l.indexOf(' ') + 1)];
    if (word === 'sent') st.sent++;
    else if (word === 'echo') st.echoed++;
    else if (word === 'connected') st.localPort = Number(rest);
    else if (word === 'broken') st.broken = rest;
  });
  void handle.exited.then((s) => {
    if (st.broken === null && s.code !== 0) st.broken = `client exited (${s.code ?? s.signal})`;
  });
  const line = await handle.waitFor(/^(connected|broken) /, connectTimeoutMs + 2000);
  if (line.startsWith('broken')) throw new Error(`TCP session to ${ip}:${port} did not open: ${line}`);
  return {
    status: () => ({ ...st }),
    async waitEchoes(n, timeoutMs) {
      const target = st.echoed + n;
      const deadline = Date.now() + timeoutMs;
      while (st.echoed < target) {
        if (st.broken !== null) throw new Error(`TCP session broke: ${st.broken}`);
        if (Date.now() > deadline) throw new Error(`TCP session: ${st.echoed - target + n} of ${n} echoes in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await handle.stop();
      return { ...st };
    },
  };
}
