#!/usr/bin/env node
/**
 * weft-keys: operator tool for the token key repository (like keystone-manage fernet_rotate).
 *   weft-keys list   [--keys-dir DIR]
 *   weft-keys rotate [--keys-dir DIR] [--max-active N]
 * Rotation promotes the staged key to primary and stages a new one; tokens sealed with the
 * previous primary keep validating until their key falls out of the active window. Running
 * services re-read the directory on their own (identity and controller every few seconds).
 */
import { KeyRepository, KeyRepositoryError } from '../../services/identity/tokens/key-repository';

function option(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

async function main(): Promise<number> {
  const verb = process.argv[2];
  const dir = option('--keys-dir', process.env.WEFT_IDENTITY_KEYS_DIR ?? './data/identity/keys');
  if (verb !== 'list' && verb !== 'rotate') {
    process.stderr.write('usage: weft-keys list|rotate [--keys-dir DIR] [--max-active N]\n');
    return 2;
  }
  const repo = await KeyRepository.openExisting(dir);
  if (verb === 'rotate') {
    const max = Number(option('--max-active', '3'));
    if (!Number.isInteger(max) || max < 3) {
      process.stderr.write('weft-keys: --max-active must be an integer >= 3 (staged + primary + at least one secondary)\n');
      return 2;
    }
    await repo.rotate({ maxActiveKeys: max });
  }
  for (const e of repo.list()) process.stdout.write(`${String(e.index).padStart(4)}  ${e.role}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`weft-keys: ${err instanceof KeyRepositoryError ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
