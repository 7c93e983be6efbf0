/**
 * Whether this machine can run dataplane tests (root, namespace capabilities, the tools), and a
 * describe() that skips — saying why, on stderr — when it cannot. With WEFT_REQUIRE_DATAPLANE=1
 * (for CI, where a silent skip would hide a broken runner) the suite fails instead of skipping.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type Tool = 'ip' | 'nft' | 'tcpdump' | 'ping';
export const ALL_TOOLS: readonly Tool[] = ['ip', 'nft', 'tcpdump', 'ping'];

const VERSION_ARGS: Record<Tool, string[]> = {
  ip: ['-V'],
  nft: ['--version'],
  tcpdump: ['--version'],
  ping: ['-V'],
};

/** Debian packages providing each tool (named in the skip reason). */
const PACKAGES: Record<Tool, string> = { ip: 'iproute2', nft: 'nftables', tcpdump: 'tcpdump', ping: 'iputils-ping' };

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** Effective capability bits from /proc/self/status text (null if the line is missing). */
export function parseCapEff(status: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  return m ? BigInt('0x' + m[1]) : null;
}

/** The reason a capability set cannot create and configure namespaces, or null. */
export function missingCapabilities(capEff: bigint): string | null {
  const missing: string[] = [];
  // NET_ADMIN for links and addresses; SYS_ADMIN because `ip netns add` bind-mounts the namespace.
  if (!(capEff & (1n << BigInt(CAP_NET_ADMIN)))) missing.push('CAP_NET_ADMIN');
  if (!(capEff & (1n << BigInt(CAP_SYS_ADMIN)))) missing.push('CAP_SYS_ADMIN');
  return missing.length ? `missing ${missing.join(' and ')}` : null;
}

function toolMissing(tool: Tool): boolean {
  try {
    execFileSync(tool, VERSION_ARGS[tool], { stdio: 'ignore', timeout: 5000 });
    return false;
  } catch (e) {
    // Only "not found" counts: some tools exit non-zero for a version query and are still there.
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

const cache = new Map<string, string | null>();

/** Why dataplane tests needing `tools` cannot run here, or null when they can. */
export function dataplaneSkipReason(tools: readonly Tool[] = ALL_TOOLS): string | null {
  const key = [...tools].sort().join(',');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let reason: string | null = null;
  if (process.platform !== 'linux') reason = `not Linux (${process.platform})`;
  else if (process.getuid?.() !== 0) reason = 'not running as root';
  else {
    let status = '';
    try {
      status = readFileSync('/proc/self/status', 'utf8');
    } catch {
      // Treated as "unknown capabilities" below.
    }
    const capEff = parseCapEff(status);
    reason = capEff === null ? 'cannot read capabilities from /proc/self/status' : missingCapabilities(capEff);
    if (reason === null) {
      const missing = tools.filter(toolMissing);
      if (missing.length) reason = `missing ${missing.map((t) => `\`${t}\` (apt-get install ${PACKAGES[t]})`).join(', ')}`;
    }
  }
  cache.set(key, reason);
  return reason;
}

/**
 * describe(name, fn) when the machine can run it; otherwise a skipped describe, with the reason
 * printed via console.warn (or, under WEFT_REQUIRE_DATAPLANE=1, one failing test carrying it).
 */
export function describeIfCapable(name: string, fn: () => void, tools: readonly Tool[] = ALL_TOOLS): void {
  const reason = dataplaneSkipReason(tools);
  if (reason === null) {
    describe(name, fn);
    return;
  }
  if (process.env.WEFT_REQUIRE_DATAPLANE === '1') {
    describe(name, () => {
      test('can run dataplane tests here (WEFT_REQUIRE_DATAPLANE=1)', () => {
        throw new Error(`dataplane tests cannot run: ${reason}`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, fn);
}
