/**
 * A run of `n` consecutive free TCP ports on loopback, for processes that must be told their
 * ports before they start (rings name storage servers by port). Checked by binding each port
 * in turn: racy (another process may take one before it is used), which is acceptable for the
 * benchmarks and tests that use it; bounded to 50 attempts.
 */
import { createServer } from 'node:net';

export async function freePortRun(n: number, lowest = 20_000, span = 20_000): Promise<number> {
  const canBind = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lowest + Math.floor(Math.random() * span);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await canBind(base + i);
    if (ok) return base;
  }
  throw new Error(`no free run of ${n} ports found`);
}
