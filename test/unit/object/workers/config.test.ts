import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../../services/runtime/config';
import { loadWorkersConfig } from '../../../../services/object/workers/config';
import { WORKERS } from '../../../../services/object/workers/registry';
import type { WorkerDefinition } from '../../../../services/object/workers/worker-definition';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'weft-workers-config-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(v: unknown): string {
  const f = path.join(dir, 'workers.json');
  writeFileSync(f, JSON.stringify(v));
  return f;
}

describe('workers config', () => {
  test('defaults: every registered worker enabled with its interval; storageAddress parsed', () => {
    const cfg = loadWorkersConfig(file({ hashPathSuffix: 's', storageAddress: '10.0.0.5:6200' }), WORKERS, {});
    expect(cfg.storageAddress).toEqual({ host: '10.0.0.5', port: 6200 });
    expect(cfg.workers.map((w) => w.name)).toEqual(WORKERS.map((d) => d.name));
    expect(cfg.workers.filter((w) => ['updater', 'auditor', 'expirer'].includes(w.name)).map((w) => [w.name, w.enabled, w.intervalMs])).toEqual([
      ['updater', true, 300_000],
      ['auditor', true, 1_800_000],
      ['expirer', true, 300_000],
    ]);
    expect(cfg.fsync).toBe(true);
  });

  test('per-worker settings go to the worker definition; unknown workers and bad values are refused together', () => {
    const seen: unknown[] = [];
    const def: WorkerDefinition = {
      name: 'probe',
      defaultIntervalMs: 1000,
      configure(r, base) {
        seen.push(r.number(`${base}.depth`, 3, 1, 10));
        return () => ({ name: 'probe', runOnce: async () => ({}) });
      },
    };
    const cfg = loadWorkersConfig(file({ hashPathPrefix: 'p', workers: { probe: { enabled: false, intervalMs: 50, depth: 7 } } }), [def], {});
    expect(cfg.workers[0]).toEqual(expect.objectContaining({ name: 'probe', enabled: false, intervalMs: 50 }));
    expect(seen).toEqual([7]);

    let err: unknown;
    try {
      loadWorkersConfig(file({ storageAddress: 'nowhere', workers: { probe: { depth: 99 }, nope: {} } }), [def], {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('storageAddress');
    expect(msg).toContain('workers.nope: unknown worker');
    expect(msg).toContain('workers.probe.depth');
    expect(msg).toContain('hashPathPrefix / hashPathSuffix');
  });

  test('environment overrides the file', () => {
    const cfg = loadWorkersConfig(file({ hashPathSuffix: 's' }), WORKERS, { WEFT_OBJECT_STORAGE_ADDRESS: '127.0.0.1:7000', WEFT_OBJECT_RING_DIR: '/r' });
    expect(cfg.storageAddress).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(cfg.ringDir).toBe('/r');
  });
});
