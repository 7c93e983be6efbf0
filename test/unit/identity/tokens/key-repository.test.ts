import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyFromBytes, keyToBase64url } from '../../../../services/identity/tokens/fernet';
import { KeyRepository, KeyRepositoryError, type KeyEntry } from '../../../../services/identity/tokens/key-repository';
import { TmpDirs, deterministicRandom } from './helpers';

const tmp = new TmpDirs();
afterEach(() => tmp.cleanup());

const mode = (path: string): number => statSync(path).mode & 0o777;
const files = (dir: string): string[] => readdirSync(dir).sort((a, b) => Number(a) - Number(b));
const shape = (entries: readonly KeyEntry[]): [number, string][] => entries.map((e) => [e.index, e.role]);
const keyText = (e: KeyEntry): string => keyToBase64url(e.key);

describe('KeyRepository.open', () => {
  test('initializes a missing directory: 0700, staged 0 and primary 1, files 0600 in Keystone format', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir);
    expect(mode(dir)).toBe(0o700);
    expect(files(dir)).toEqual(['0', '1']);
    for (const f of files(dir)) {
      expect(mode(join(dir, f))).toBe(0o600);
      // 32 bytes as padded base64url, no newline: what keystone-manage fernet_setup writes.
      expect(readFileSync(join(dir, f), 'ascii')).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    }
    expect(shape(repo.list())).toEqual([
      [1, 'primary'],
      [0, 'staged'],
    ]);
    expect(repo.keys()).toEqual(repo.list().map((e) => e.key));
    expect(repo.primary()).toBe(repo.list()[0].key);
    expect(keyText(repo.list()[0])).toBe(readFileSync(join(dir, '1'), 'ascii'));
    expect(keyText(repo.list()[1])).not.toBe(keyText(repo.list()[0]));
  });

  test('initializes an empty pre-created directory and tightens its mode', async () => {
    const dir = join(tmp.make(), 'keys');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await KeyRepository.open(dir);
    expect(mode(dir)).toBe(0o700);
    expect(files(dir)).toEqual(['0', '1']);
  });

  test('uses the injected random source for keys', async () => {
    const dirA = join(tmp.make(), 'a');
    const dirB = join(tmp.make(), 'b');
    const a = await KeyRepository.open(dirA, { random: deterministicRandom('seed') });
    const b = await KeyRepository.open(dirB, { random: deterministicRandom('seed') });
    expect(a.list().map(keyText)).toEqual(b.list().map(keyText));
    // The staged key is drawn first, the primary second.
    const expected = deterministicRandom('seed');
    const staged = keyToBase64url(keyFromBytes(expected(32)));
    const primary = keyToBase64url(keyFromBytes(expected(32)));
    expect(a.list().map(keyText)).toEqual([primary, staged]);
  });

  test('a second open reads the same keys back', async () => {
    const dir = join(tmp.make(), 'keys');
    const first = await KeyRepository.open(dir);
    const second = await KeyRepository.open(dir);
    expect(second.list().map(keyText)).toEqual(first.list().map(keyText));
    expect(shape(second.list())).toEqual(shape(first.list()));
  });

  test('ignores files that are not key indices (temp files, notes, leading zeros)', async () => {
    const dir = join(tmp.make(), 'keys');
    const first = await KeyRepository.open(dir);
    for (const name of ['README', '.tmp-2-123-abcdef', '01', '-1', '2.bak', '1e3']) writeFileSync(join(dir, name), 'junk', { mode: 0o600 });
    const second = await KeyRepository.open(dir);
    expect(shape(second.list())).toEqual([
      [1, 'primary'],
      [0, 'staged'],
    ]);
    expect(second.list().map(keyText)).toEqual(first.list().map(keyText));
  });

  test('refuses a repository that group or others can access', async () => {
    const dir = join(tmp.make(), 'keys');
    await KeyRepository.open(dir);
    chmodSync(dir, 0o750);
    await expect(KeyRepository.open(dir)).rejects.toThrow(/mode 0750/);
    chmodSync(dir, 0o700);
    chmodSync(join(dir, '1'), 0o644);
    await expect(KeyRepository.open(dir)).rejects.toThrow(KeyRepositoryError);
    chmodSync(join(dir, '1'), 0o600);
    await expect(KeyRepository.open(dir)).resolves.toBeInstanceOf(KeyRepository);
  });

  test('refuses an incomplete or corrupt repository', async () => {
    const noStaged = join(tmp.make(), 'keys');
    await KeyRepository.open(noStaged);
    unlinkSync(join(noStaged, '0'));
    await expect(KeyRepository.open(noStaged)).rejects.toThrow(/no staged key/);

    const noPrimary = join(tmp.make(), 'keys');
    await KeyRepository.open(noPrimary);
    unlinkSync(join(noPrimary, '1'));
    await expect(KeyRepository.open(noPrimary)).rejects.toThrow(/no primary key/);

    const corrupt = join(tmp.make(), 'keys');
    await KeyRepository.open(corrupt);
    writeFileSync(join(corrupt, '1'), 'not a key', { mode: 0o600 });
    await expect(KeyRepository.open(corrupt)).rejects.toThrow(/does not hold a base64url 32-byte key/);
  });
});

describe('KeyRepository.rotate', () => {
  test('staged becomes primary at the next index, a fresh key is staged, the old primary stays', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir, { random: deterministicRandom('rotate') });
    const [oldPrimary, oldStaged] = repo.list().map(keyText);
    await repo.rotate({ maxActiveKeys: 3 });
    expect(files(dir)).toEqual(['0', '1', '2']);
    expect(shape(repo.list())).toEqual([
      [2, 'primary'],
      [1, 'secondary'],
      [0, 'staged'],
    ]);
    const [primary, secondary, staged] = repo.list().map(keyText);
    expect(primary).toBe(oldStaged);
    expect(secondary).toBe(oldPrimary);
    expect([oldPrimary, oldStaged]).not.toContain(staged);
    expect(keyToBase64url(repo.primary())).toBe(oldStaged);
    for (const f of files(dir)) expect(mode(join(dir, f))).toBe(0o600);
    expect(mode(dir)).toBe(0o700);
  });

  test('prunes the oldest secondaries beyond maxActiveKeys', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir);
    for (let i = 0; i < 5; i++) await repo.rotate({ maxActiveKeys: 3 });
    // Primary 6, newest secondary 5, staged 0.
    expect(files(dir)).toEqual(['0', '5', '6']);
    expect(shape(repo.list())).toEqual([
      [6, 'primary'],
      [5, 'secondary'],
      [0, 'staged'],
    ]);

    for (let i = 0; i < 4; i++) await repo.rotate({ maxActiveKeys: 5 });
    expect(files(dir)).toEqual(['0', '7', '8', '9', '10']);

    await repo.rotate({ maxActiveKeys: 2 });
    expect(files(dir)).toEqual(['0', '11']);
    expect(shape(repo.list())).toEqual([
      [11, 'primary'],
      [0, 'staged'],
    ]);
  });

  test('every key ever staged becomes the primary, in order', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir);
    for (let i = 0; i < 4; i++) {
      const staged = keyText(repo.list()[repo.list().length - 1]);
      await repo.rotate({ maxActiveKeys: 4 });
      expect(keyToBase64url(repo.primary())).toBe(staged);
    }
  });

  test('rejects maxActiveKeys below 2 (staged + primary) and changes nothing', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir);
    for (const bad of [1, 0, -3, 2.5, Number.NaN]) {
      await expect(repo.rotate({ maxActiveKeys: bad })).rejects.toThrow(RangeError);
    }
    expect(files(dir)).toEqual(['0', '1']);
  });

  test('leaves no temp files behind', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir);
    for (let i = 0; i < 3; i++) await repo.rotate({ maxActiveKeys: 3 });
    expect(readdirSync(dir).filter((n) => !/^\d+$/.test(n))).toEqual([]);
  });

  test('racing rotations by two instances leave a valid repository', async () => {
    const dir = join(tmp.make(), 'keys');
    const a = await KeyRepository.open(dir);
    const b = await KeyRepository.open(dir);
    const results = await Promise.allSettled([a.rotate({ maxActiveKeys: 3 }), b.rotate({ maxActiveKeys: 3 })]);
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(KeyRepositoryError);
    const fresh = await KeyRepository.open(dir);
    expect(fresh.list()[0].role).toBe('primary');
    expect(fresh.list()[fresh.list().length - 1].role).toBe('staged');
    expect(fresh.list()[0].index).toBeGreaterThanOrEqual(2);
  });
});

describe('KeyRepository.reload', () => {
  test("sees another instance's rotation; until then the old view stays", async () => {
    const dir = join(tmp.make(), 'keys');
    const a = await KeyRepository.open(dir);
    const b = await KeyRepository.open(dir);
    await a.rotate({ maxActiveKeys: 3 });
    expect(shape(b.list())).toEqual([
      [1, 'primary'],
      [0, 'staged'],
    ]);
    // b's staged key is a's new primary: why b can already validate a's new tokens.
    expect(keyText(b.list()[1])).toBe(keyToBase64url(a.primary()));
    await b.reload();
    expect(shape(b.list())).toEqual(shape(a.list()));
    expect(b.list().map(keyText)).toEqual(a.list().map(keyText));
  });

  test('a failed reload keeps the previous keys', async () => {
    const dir = join(tmp.make(), 'keys');
    const repo = await KeyRepository.open(dir);
    const before = repo.list().map(keyText);
    writeFileSync(join(dir, '7'), 'garbage', { mode: 0o600 });
    await expect(repo.reload()).rejects.toThrow(KeyRepositoryError);
    expect(repo.list().map(keyText)).toEqual(before);
    unlinkSync(join(dir, '7'));
    await repo.reload();
    expect(repo.list().map(keyText)).toEqual(before);
  });
});
