import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { failure } from '../harness';
import { startIdentity, type IdentityHandle } from './harness';

const KEYS_TOOL = path.join(__dirname, '..', '..', '..', 'tools', 'keys', 'main.js');

function keysTool(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [KEYS_TOOL, ...args], { timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })),
  );
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1500));

describe('token key rotation', () => {
  let id: IdentityHandle;
  beforeAll(async () => {
    id = await startIdentity({ keyReloadSeconds: 1 });
  });
  afterAll(async () => id.stop());

  it('keeps tokens of the previous primary valid after one rotation and rejects them once their key is pruned', async () => {
    const keysDir = path.join(id.dir, 'data', 'keys');
    const before = await id.adminToken();
    await expect(id.withToken(before).listEndpoints({})).resolves.toBeDefined();

    const first = await keysTool('rotate', '--keys-dir', keysDir, '--max-active', '3');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2\s+primary/);
    await settle();
    // Old primary is now a secondary: its tokens still validate; new tokens use the new primary.
    await expect(id.withToken(before).listEndpoints({})).resolves.toBeDefined();
    const after = await id.adminToken();
    await expect(id.withToken(after).listEndpoints({})).resolves.toBeDefined();

    const second = await keysTool('rotate', '--keys-dir', keysDir, '--max-active', '3');
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^\s*1\s/m);
    await settle();
    expect((await failure(id.withToken(before).listEndpoints({}))).code).toBe(status.UNAUTHENTICATED);
    await expect(id.withToken(after).listEndpoints({})).resolves.toBeDefined();

    const bad = await keysTool('rotate', '--keys-dir', keysDir, '--max-active', '2');
    expect(bad.code).toBe(2);
    const missing = await keysTool('list', '--keys-dir', path.join(id.dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no token key repository');
  });
});
