/**
 * Runs one command without a shell, with a deadline: the compute side shells out to iproute2
 * (unlike the node agent, which speaks netlink), and a wedged `ip` must fail, not hang a plug.
 */
import { execFile } from 'node:child_process';
import { PlugError } from './errors';
import type { Argv } from './plan';

export interface RunResult {
  /** Exit code; null when killed (then `signal` says by what). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** How plug.ts runs commands (with optional stdin); tests or callers running elsewhere may pass their own. */
export type Runner = (argv: Argv, input?: string) => Promise<RunResult>;

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** Runs argv; resolves with the outcome whatever the exit code (only a failed spawn rejects). */
export function runCommand(argv: Argv, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0], argv.slice(1), { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') {
        reject(new PlugError('COMMAND_FAILED', `cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'not found on PATH' : err.message}`));
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, signal: err?.signal ?? null, stdout, stderr });
    });
    // A command that exits before reading its input reports through its exit status instead.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export const defaultRunner: Runner = (argv, input) => runCommand(argv, DEFAULT_COMMAND_TIMEOUT_MS, input);

/** The one-line description of a failed command, with its stderr. */
export function describeFailure(argv: Argv, r: RunResult): string {
  const how = r.code === null ? `was killed (${r.signal ?? 'unknown signal'}; timed out?)` : `exited ${r.code}`;
  const err = r.stderr.trim().replace(/\s*\n\s*/g, '; ');
  return `\`${argv.join(' ')}\` ${how}${err ? `: ${err}` : ''}`;
}

/** Runs argv and throws PlugError COMMAND_FAILED unless it exits 0. */
export async function runChecked(run: Runner, argv: Argv, input?: string): Promise<RunResult> {
  const r = await run(argv, input);
  if (r.code !== 0) throw new PlugError('COMMAND_FAILED', describeFailure(input === undefined ? argv : [...argv, `<<< ${input.trim().replace(/\n/g, '; ')}`], r));
  return r;
}
