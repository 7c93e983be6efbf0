import { parseStoragePath } from '../../../../../services/object/storage/http/storage-path';

describe('parseStoragePath', () => {
  test('object paths: the object is the rest, slashes included, percent-decoded', () => {
    expect(parseStoragePath('/sda/12/AUTH_a/c/dir/sub/f%C3%A9.txt?multipart-manifest=get')).toEqual({
      ok: true,
      path: { device: 'sda', partition: '12', account: 'AUTH_a', container: 'c', object: 'dir/sub/fé.txt' },
    });
    expect(parseStoragePath('/sda/1/a/c//lead')).toMatchObject({ ok: true, path: { object: '/lead' } });
  });

  test('account and container paths', () => {
    expect(parseStoragePath('/sda/1/a')).toEqual({ ok: true, path: { device: 'sda', partition: '1', account: 'a' } });
    expect(parseStoragePath('/sda/1/a/c')).toEqual({ ok: true, path: { device: 'sda', partition: '1', account: 'a', container: 'c' } });
  });

  test.each([
    ['/sda/1', /path must be/],
    ['/../1/a/c/o', /device/],
    ['/sda/x/a/c/o', /partition/],
    ['/sda/1//c/o', /account name is empty/],
    ['/sda/1/a//o', /container name is empty/],
    ['/sda/1/a/c/', /object name is empty/],
    ['/sda/1/a/c/%00', /NUL/],
    ['/sda/1/a/c/%FF', /UTF-8/],
    [`/sda/1/a/c/${'o'.repeat(1025)}`, /longer than 1024/],
    ['sda/1/a/c/o', /start with/],
  ])('%s is refused', (url, problem) => {
    const r = parseStoragePath(url);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });
});
