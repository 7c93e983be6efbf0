/**
 * The adapter to the kernel: runs the `nft` binary (there is no nftables netlink library for Node).
 * Scripts go to `nft -f -` on stdin, so a whole plan is one transaction; tables are read back with
 * `nft -j list table`. `commandPrefix` runs everything through a wrapper such as
 * `['ip', 'netns', 'exec', ns]`, which lets tests in the root namespace drive a host namespace;
 * the agent runs inside its namespace and uses no prefix.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { FirewallError } from './errors';
import type { Family } from './ruleset';

export interface NftOptions {
  /** Prepended to every command, e.g. ['ip', 'netns', 'exec', 'host1']. */
  commandPrefix?: string[];
  /** Default 'nft' (from PATH). */
  nftPath?: string;
  /** Per command; the process is killed after it. Default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv with `input` on stdin; rejects only when it cannot start or times out. */
function run(argv: string[], input: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new FirewallError('NFT_TIMEOUT', `${argv.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new FirewallError('NFT_FAILED', `cannot run ${argv[0]}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // EPIPE when the process exits early is reported through 'close' with its exit code instead.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export class NftExecutor {
  private readonly prefix: string[];
  private readonly nft: string;
  private readonly timeoutMs: number;

  constructor(options: NftOptions = {}) {
    this.prefix = options.commandPrefix ?? [];
    this.nft = options.nftPath ?? 'nft';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private async nftRun(args: string[], input = ''): Promise<RunResult> {
    return run([...this.prefix, this.nft, ...args], input, this.timeoutMs);
  }

  private failed(what: string, r: RunResult): FirewallError {
    return new FirewallError('NFT_FAILED', `nft ${what} failed (exit ${r.code}): ${r.stderr.trim()}`, r.stderr);
  }

  /** Applies `script` as one transaction: all of it or none of it. */
  async apply(script: string): Promise<void> {
    const r = await this.nftRun(['-f', '-'], script);
    if (r.code !== 0) throw this.failed('-f', r);
  }

  /** Checks `script` (`nft -c`): parsed and validated by the kernel, nothing committed. */
  async check(script: string): Promise<void> {
    const r = await this.nftRun(['-c', '-f', '-'], script);
    if (r.code !== 0) throw this.failed('-c -f', r);
  }

  /** `nft -j list table`, parsed; null when the table does not exist. */
  async listTable(family: Family, table: string): Promise<unknown> {
    const r = await this.nftRun(['-j', 'list', 'table', family, table]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return null;
      throw this.failed('list table', r);
    }
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      throw new FirewallError('NFT_BAD_OUTPUT', `nft -j list table ${family} ${table} printed something that is not JSON`);
    }
  }
}

const BRIDGE_NF_SYSCTLS = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'];

/**
 * Makes bridged IPv4/IPv6 packets traverse the inet hooks (br_netfilter), which the security group
 * chains and conntrack zones need. The sysctls are per network namespace: this sets them in the
 * namespace the agent (or `commandPrefix`) runs in, never anywhere else.
 */
export async function enableBridgeNetfilter(options: Pick<NftOptions, 'commandPrefix' | 'timeoutMs'> = {}): Promise<void> {
  const prefix = options.commandPrefix ?? [];
  if (prefix.length === 0) {
    for (const key of BRIDGE_NF_SYSCTLS) {
      const path = '/proc/sys/' + key.replace(/\./g, '/');
      try {
        await writeFile(path, '1\n');
      } catch (e) {
        throw new FirewallError('NFT_FAILED', `cannot enable ${key} (is br_netfilter available?): ${(e as Error).message}`);
      }
    }
    return;
  }
  const argv = [...prefix, 'sysctl', '-q', '-w', ...BRIDGE_NF_SYSCTLS.map((k) => `${k}=1`)];
  const r = await run(argv, '', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (r.code !== 0) throw new FirewallError('NFT_FAILED', `${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`, r.stderr);
}
