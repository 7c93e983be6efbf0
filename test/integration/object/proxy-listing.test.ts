/**
 * Container and account listings through the real proxy (three storage servers, three replicas):
 * every listing parameter against expected names, the three formats (the XML written out by
 * hand here, not by the renderer under test), format negotiation, and refused parameters.
 */
import { createHash } from 'node:crypto';
import { startCluster, v1Path, type Cluster, type Reply } from './cluster-harness';

let cluster: Cluster;
const ACCOUNT = 'AUTH_listing';
const C = 'list';
/** Object names in UTF-8 byte order (the listing order), each with its body. */
const OBJECTS: Array<[string, string]> = [
  ['a', 'A'],
  ['a/1', 'one'],
  ['a/2', 'two!'],
  ['a/b/1', 'deep'],
  ['ab', 'ab'],
  ['b', 'bee'],
  ['b/x', 'x'],
  ['c', ''],
  ['d/', 'dir marker'],
  ['e', 'eeeee'],
  ['x&<y>', 'escaped'],
  ['é', 'accent'],
];
const NAMES = OBJECTS.map(([n]) => n);

interface ObjectEntry {
  name?: string;
  subdir?: string;
  hash?: string;
  bytes?: number;
  content_type?: string;
  last_modified?: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return cluster.proxy.request({ method: 'GET', path, headers });
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

beforeAll(async () => {
  cluster = await startCluster();
  const put = (path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> => cluster.proxy.request({ method: 'PUT', path, body, headers });
  expect((await put(v1Path(ACCOUNT, C))).status).toBe(201);
  expect((await put(v1Path(ACCOUNT, 'empty'))).status).toBe(201);
  for (const [name, body] of OBJECTS) expect((await put(v1Path(ACCOUNT, C, name), body, { 'Content-Type': name === 'c' ? 'application/x-empty' : 'text/plain' })).status).toBe(201);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('container listing parameters (plain text)', () => {
  test.each<[string, string[]]>([
    ['', NAMES],
    ['prefix=a/', ['a/1', 'a/2', 'a/b/1']],
    ['prefix=a', ['a', 'a/1', 'a/2', 'a/b/1', 'ab']],
    ['prefix=zzz', []],
    ['delimiter=/', ['a', 'a/', 'ab', 'b', 'b/', 'c', 'd/', 'e', 'x&<y>', 'é']],
    ['prefix=a/&delimiter=/', ['a/1', 'a/2', 'a/b/']],
    ['delimiter=/&marker=a/', ['ab', 'b', 'b/', 'c', 'd/', 'e', 'x&<y>', 'é']],
    ['marker=b', ['b/x', 'c', 'd/', 'e', 'x&<y>', 'é']],
    ['end_marker=b', ['a', 'a/1', 'a/2', 'a/b/1', 'ab']],
    ['marker=a&end_marker=b', ['a/1', 'a/2', 'a/b/1', 'ab']],
    ['limit=3', ['a', 'a/1', 'a/2']],
    ['limit=3&marker=a/2', ['a/b/1', 'ab', 'b']],
    ['limit=junk', NAMES],
    ['reverse=on', [...NAMES].reverse()],
    ['reverse=true&marker=c', ['b/x', 'b', 'ab', 'a/b/1', 'a/2', 'a/1', 'a']],
    ['reverse=true&limit=2', ['é', 'x&<y>']],
    ['reverse=true&end_marker=d/', ['é', 'x&<y>', 'e']],
    ['reverse=1&prefix=a/&delimiter=/', ['a/b/', 'a/2', 'a/1']],
    ['path=a', ['a/1', 'a/2']],
    ['path=a/', ['a/1', 'a/2']],
    ['path=', ['a', 'ab', 'b', 'c', 'd/', 'e', 'x&<y>', 'é']],
    ['path=a&reverse=true', ['a/2', 'a/1']],
    ['path=a&limit=1', ['a/1']],
    ['path=a&prefix=b&delimiter=-', ['a/1', 'a/2']],
    ['path=d', []],
    [`prefix=${encodeURIComponent('é')}`, ['é']],
    [`marker=${encodeURIComponent('x&<y>')}`, ['é']],
  ])('?%s', async (query, expected) => {
    const r = await get(`${v1Path(ACCOUNT, C)}?${query}`);
    if (expected.length === 0) {
      expect(r.status).toBe(204);
      expect(r.body.length).toBe(0);
    } else {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.body.toString('utf8')).toBe(expected.map((n) => `${n}\n`).join(''));
    }
    expect(r.headers['x-container-object-count']).toBe(String(OBJECTS.length));
  });

  test('limit=0 lists nothing: 204 in plain text, [] in JSON', async () => {
    expect((await get(`${v1Path(ACCOUNT, C)}?limit=0`)).status).toBe(204);
    const j = await get(`${v1Path(ACCOUNT, C)}?limit=0&format=json`);
    expect(j.status).toBe(200);
    expect(j.body.toString()).toBe('[]');
  });
});

describe('container listing formats', () => {
  test('JSON: Swift fields with the objects real hashes, sizes and types', async () => {
    const r = await get(`${v1Path(ACCOUNT, C)}?format=json`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const entries = JSON.parse(r.body.toString('utf8')) as ObjectEntry[];
    expect(entries.map((e) => e.name)).toEqual(NAMES);
    for (const [i, [name, body]] of OBJECTS.entries()) {
      expect(entries[i]).toEqual({
        name,
        hash: createHash('md5').update(body).digest('hex'),
        bytes: Buffer.byteLength(body),
        content_type: name === 'c' ? 'application/x-empty' : 'text/plain',
        last_modified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      });
    }
  });

  test('XML: Swift shape, escaped, objects and subdirs', async () => {
    const json = JSON.parse((await get(`${v1Path(ACCOUNT, C)}?format=json&delimiter=/&marker=e`)).body.toString('utf8')) as ObjectEntry[];
    expect(json.map((e) => e.name ?? e.subdir)).toEqual(['x&<y>', 'é']);
    const withDir = JSON.parse((await get(`${v1Path(ACCOUNT, C)}?format=json&prefix=a/&delimiter=/`)).body.toString('utf8')) as ObjectEntry[];
    const obj = (e: ObjectEntry): string =>
      `<object><name>${xmlText(e.name!)}</name><hash>${e.hash}</hash><bytes>${e.bytes}</bytes><content_type>${e.content_type}</content_type><last_modified>${e.last_modified}</last_modified></object>`;

    const r = await get(`${v1Path(ACCOUNT, C)}?format=xml&delimiter=/&marker=e`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(r.body.toString('utf8')).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<container name="${C}">${json.map(obj).join('')}</container>`);
    expect(r.body.toString('utf8')).toContain('<name>x&amp;&lt;y&gt;</name>');

    const d = await get(`${v1Path(ACCOUNT, C)}?format=xml&prefix=a/&delimiter=/`);
    expect(d.body.toString('utf8')).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<container name="${C}">${obj(withDir[0]!)}${obj(withDir[1]!)}<subdir name="a/b/"><name>a/b/</name></subdir></container>`,
    );
  });

  test('empty container: 204 plain, [] JSON, self-closing XML root', async () => {
    const plain = await get(v1Path(ACCOUNT, 'empty'));
    expect(plain.status).toBe(204);
    expect(plain.body.length).toBe(0);
    expect(plain.headers['x-container-object-count']).toBe('0');
    expect((await get(`${v1Path(ACCOUNT, 'empty')}?format=json`)).body.toString()).toBe('[]');
    const xml = await get(`${v1Path(ACCOUNT, 'empty')}?format=xml`);
    expect(xml.status).toBe(200);
    expect(xml.body.toString()).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<container name="empty" />');
  });

  test.each<[string, Record<string, string>, number, string | undefined]>([
    ['', { Accept: 'application/json' }, 200, 'application/json; charset=utf-8'],
    ['', { Accept: 'application/xml' }, 200, 'application/xml; charset=utf-8'],
    ['', { Accept: 'text/xml' }, 200, 'text/xml; charset=utf-8'],
    ['', { Accept: '*/*' }, 200, 'text/plain; charset=utf-8'],
    ['', { Accept: 'application/json;q=0.2, text/xml;q=0.5' }, 200, 'text/xml; charset=utf-8'],
    ['', { Accept: 'text/html' }, 406, undefined],
    ['format=json', { Accept: 'application/xml' }, 200, 'application/json; charset=utf-8'],
    ['format=XML', {}, 200, 'application/xml; charset=utf-8'],
    ['format=unknown', { Accept: 'application/json' }, 200, 'text/plain; charset=utf-8'],
  ])('negotiation: ?%s %p → %d %s', async (query, headers, status, type) => {
    const r = await get(`${v1Path(ACCOUNT, C)}?${query}&limit=1`, headers);
    expect(r.status).toBe(status);
    if (type) expect(r.headers['content-type']).toBe(type);
  });

  test('HEAD answers the negotiated type with no body', async () => {
    const r = await cluster.proxy.request({ method: 'HEAD', path: `${v1Path(ACCOUNT, C)}?format=json` });
    expect(r.status).toBe(204);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.body.length).toBe(0);
  });
});

describe('refused listing parameters', () => {
  test.each<[string, number, string]>([
    ['limit=10001', 412, 'Maximum limit is 10000'],
    ['delimiter=ab', 412, 'Bad delimiter'],
    [`marker=${'m'.repeat(1025)}`, 400, 'marker is longer than 1024 bytes'],
    [`prefix=${'p'.repeat(1025)}`, 400, 'prefix is longer than 1024 bytes'],
  ])('?%s → %d', async (query, status, message) => {
    const r = await get(`${v1Path(ACCOUNT, C)}?${query.length > 60 ? query : query}`);
    expect(r.status).toBe(status);
    expect(r.body.toString()).toContain(message);
  });

  test('listing a missing container is 404 whatever the format', async () => {
    expect((await get(`${v1Path(ACCOUNT, 'nope')}?format=json`)).status).toBe(404);
    expect((await get(v1Path(ACCOUNT, 'nope'))).status).toBe(404);
  });
});

describe('account listing', () => {
  const A = 'AUTH_containers';
  const CONTAINERS = ['logs-2024', 'logs-2025', 'photos', 'zé'];

  beforeAll(async () => {
    for (const c of CONTAINERS) expect((await cluster.proxy.request({ method: 'PUT', path: v1Path(A, c) })).status).toBe(201);
    expect((await cluster.proxy.request({ method: 'PUT', path: v1Path(A, 'photos', 'p.jpg'), body: 'abc' })).status).toBe(201);
    // The container servers report to the account layer as they change; wait (bounded) for it.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const h = await cluster.proxy.request({ method: 'HEAD', path: v1Path(A) });
      if (h.headers['x-account-object-count'] === '1' && h.headers['x-account-container-count'] === String(CONTAINERS.length)) break;
      if (Date.now() > deadline) throw new Error(`account counts never arrived: ${JSON.stringify(h.headers)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test.each<[string, string[]]>([
    ['', CONTAINERS],
    ['prefix=logs-', ['logs-2024', 'logs-2025']],
    ['delimiter=-', ['logs-', 'photos', 'zé']],
    ['marker=logs-2024', ['logs-2025', 'photos', 'zé']],
    ['end_marker=photos', ['logs-2024', 'logs-2025']],
    ['limit=1', ['logs-2024']],
    ['reverse=yes', [...CONTAINERS].reverse()],
    ['path=logs', CONTAINERS],
    ['prefix=none', []],
  ])('?%s', async (query, expected) => {
    const r = await get(`${v1Path(A)}?${query}`);
    expect(r.status).toBe(expected.length ? 200 : 204);
    expect(r.body.toString('utf8')).toBe(expected.map((n) => `${n}\n`).join(''));
    expect(r.headers['x-account-container-count']).toBe('4');
  });

  test('JSON and XML (with Swift account XML newlines)', async () => {
    const j = await get(`${v1Path(A)}?format=json`);
    expect(j.headers['content-type']).toBe('application/json; charset=utf-8');
    const entries = JSON.parse(j.body.toString('utf8')) as Array<{ name: string; count: number; bytes: number; last_modified: string }>;
    expect(entries.map((e) => [e.name, e.count, e.bytes])).toEqual([
      ['logs-2024', 0, 0],
      ['logs-2025', 0, 0],
      ['photos', 1, 3],
      ['zé', 0, 0],
    ]);
    const x = await get(`${v1Path(A)}?format=xml&delimiter=-`);
    const c = (e: (typeof entries)[number]): string => `<container><name>${e.name}</name><count>${e.count}</count><bytes>${e.bytes}</bytes><last_modified>${e.last_modified}</last_modified></container>\n`;
    expect(x.body.toString('utf8')).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<account name="${A}">\n<subdir name="logs-" />\n${c(entries[2]!)}${c(entries[3]!)}</account>`);
  });

  test('refused parameters', async () => {
    expect((await get(`${v1Path(A)}?limit=10001`)).status).toBe(412);
    expect((await get(`${v1Path(A)}?delimiter=--`)).status).toBe(412);
    expect((await get(`${v1Path(A)}?marker=${'m'.repeat(257)}`)).status).toBe(400);
    expect((await get(v1Path(A), { Accept: 'image/png' })).status).toBe(406);
  });
});
