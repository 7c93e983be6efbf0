/**
 * Spawns a real identity service process (`node dist/services/identity/main.js`) for benchmarks:
 * port 0 on loopback, a caller-owned data dir (keys under <dataDir>/keys), a known admin password
 * and a chosen scrypt cost, configured through the environment only.
 *
 * The identity process prints the same `{"ready":true,"port":N}` line as the controller, so the
 * controller launcher (bounded start and stop, log tail, orphan watchdog) runs it unchanged.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { startControllerProcess, type ControllerProcess } from './controller-process';

/** Relative to a build root (the repository or a snapshot made by snapshotControllerBuild). */
export const IDENTITY_MAIN_RELATIVE = path.join('dist', 'services', 'identity', 'main.js');

export interface IdentityProcessOptions {
  /** A build root holding IDENTITY_MAIN_RELATIVE and proto/ (e.g. the controller snapshot). */
  buildRoot: string;
  dataDir: string;
  adminPassword: string;
  scryptLn: number;
  readyTimeoutMs?: number;
  /** Removed by the watchdog if the bench dies without cleaning up (default: dataDir). */
  orphanCleanupDir?: string | null;
}

export interface IdentityProcess extends ControllerProcess {
  readonly dataDir: string;
  /** The key repository the identity service created; validating services read it. */
  readonly keysDir: string;
}

export async function startIdentityProcess(opts: IdentityProcessOptions): Promise<IdentityProcess> {
  const mainPath = path.join(opts.buildRoot, IDENTITY_MAIN_RELATIVE);
  if (!existsSync(mainPath)) throw new Error(`no identity service build at ${mainPath}; run npm run build`);
  const keysDir = path.join(opts.dataDir, 'keys');
  let proc: ControllerProcess;
  try {
    proc = await startControllerProcess({
      dataDir: opts.dataDir,
      mainPath,
      readyTimeoutMs: opts.readyTimeoutMs,
      logLevel: 'warn',
      orphanCleanupDir: opts.orphanCleanupDir,
      env: {
        WEFT_IDENTITY_LISTEN: '127.0.0.1:0',
        WEFT_IDENTITY_DATA_DIR: opts.dataDir,
        WEFT_IDENTITY_KEYS_DIR: keysDir,
        WEFT_ADMIN_PASSWORD: opts.adminPassword,
        WEFT_IDENTITY_SCRYPT_LN: String(opts.scryptLn),
        // Inherited settings must not change what is measured: empty means "not set".
        WEFT_IDENTITY_CONFIG: '',
        WEFT_IDENTITY_POLICY_FILE: '',
        WEFT_TOKEN_TTL_SECONDS: '',
      },
    });
  } catch (err) {
    // The launcher's messages say "controller"; here it was the identity service.
    throw new Error(((err as Error)?.message ?? String(err)).replace(/\bcontroller\b/g, 'identity service'));
  }
  return { ...proc, dataDir: opts.dataDir, keysDir };
}
