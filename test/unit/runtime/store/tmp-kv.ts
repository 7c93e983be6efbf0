/**
 * Test helper: KvStores over fresh LevelDB directories under the OS temp dir, reopenable, and
 * removed (after closing) by `cleanup()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KvStore } from '../../../../services/runtime/store/kv';

export class TmpKv {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'weft-kv-test-'));
  readonly fatal: unknown[] = [];
  private readonly open = new Set<KvStore>();

  async openStore(): Promise<KvStore> {
    const kv = await KvStore.open({ path: path.join(this.dir, 'db'), sync: false, onFatal: (err) => this.fatal.push(err) });
    this.open.add(kv);
    return kv;
  }

  async close(kv: KvStore): Promise<void> {
    this.open.delete(kv);
    await kv.close();
  }

  /** Closes `kv` (waiting for every commit to be durable) and opens the same directory again. */
  async reopen(kv: KvStore): Promise<KvStore> {
    await this.close(kv);
    return this.openStore();
  }

  async cleanup(): Promise<void> {
    for (const kv of this.open) {
      try {
        await kv.close();
      } catch {
        // best effort: the directory is removed regardless
      }
    }
    this.open.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
