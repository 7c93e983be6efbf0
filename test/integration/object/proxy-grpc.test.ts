/**
 * weft.object.v1.ObjectService against a real cluster: the proxy process (its gRPC face on port 0)
 * in front of three storage server processes, all on loopback. The gRPC client is the shipped
 * one (services/runtime/client/object-client.ts).
 *
 * "Nothing stored" is checked both through the API and on disk (no `.data` file of the object
 * on any device of any server). The token-mode part starts an identity process too and checks
 * that one project cannot reach another's account through gRPC either.
 */
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { hashPath, hashSuffix } from '../../../services/object/common/hash-path';
import { connectObject, type ObjectApi } from '../../../services/runtime/client/object-client';
import { decodeStatusDetails } from '../../../services/runtime/errors';
import { type Cluster, HASH_PREFIX, HASH_SUFFIX, startCluster, v1Path } from './cluster-harness';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function failure(p: Promise<unknown>): Promise<ServiceError & { fields: string[]; reason?: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    const d = decodeStatusDetails(e);
    return Object.assign(e, { fields: d.fieldViolations.map((v) => v.field), reason: d.reason });
  }
  throw new Error('expected the call to fail');
}

/** Every `.data` file of the object on any device of any server. */
function dataFiles(cluster: Cluster, account: string, container: string, name: string): string[] {
  const hash = hashPath(HASH_PREFIX, HASH_SUFFIX, account, container, name);
  const { partition } = cluster.nodesFor('object', account, container, name);
  const found: string[] = [];
  for (const s of cluster.storages) {
    for (const d of s.devices) {
      const dir = path.join(s.devicesRoot, d, 'objects', String(partition), hashSuffix(hash), hash);
      if (existsSync(dir)) for (const f of readdirSync(dir)) if (f.endsWith('.data')) found.push(f);
    }
  }
  return found;
}

function grpcAddress(cluster: Cluster): string {
  if (cluster.proxy.grpcPort === null) {
    throw new Error('the proxy started without its gRPC face: main.ts must call startObjectGrpc when grpcListen is set');
  }
  return `127.0.0.1:${cluster.proxy.grpcPort}`;
}

describe('ObjectService through the real proxy (auth off)', () => {
  const A = 'AUTH_grpc';
  let cluster: Cluster;
  let client: ObjectApi;

  beforeAll(async () => {
    cluster = await startCluster({ grpc: true });
    client = connectObject(grpcAddress(cluster));
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('container create / get / update / delete', async () => {
    const created = await client.createContainer({ account: A, container: 'things', metadata: { Owner: 'zoë' } });
    expect(created).toMatchObject({ account: A, name: 'things', objectCount: 0, bytesUsed: 0, metadata: { owner: 'zoë' } });
    const updated = await client.updateContainer({ account: A, container: 'things', metadata: { owner: '', color: 'red' } });
    expect(updated.metadata).toEqual({ color: 'red' });
    // The same container over HTTP: one pipeline, one truth (metadata written via gRPC, UTF-8 intact).
    const head = await cluster.proxy.request({ method: 'HEAD', path: v1Path(A, 'things') });
    expect(head.status).toBe(204);
    expect(head.headers['x-container-meta-color']).toBe('red');
    await client.deleteContainer({ account: A, container: 'things' });
    expect((await failure(client.getContainer({ account: A, container: 'things' }))).code).toBe(Code.NOT_FOUND);
    expect((await failure(client.deleteContainer({ account: A, container: 'things' }))).code).toBe(Code.NOT_FOUND);
  });

  test('streams a multi-MiB object up and down with the right MD5', async () => {
    await client.createContainer({ account: A, container: 'big' });
    const content = randomBytes(5 * 1024 * 1024 + 123);
    // A Readable of uneven pieces, no declared length: the proxy streams it chunked.
    const pieces = Array.from({ length: 11 }, (_v, i) => content.subarray(Math.floor((i * content.length) / 11), Math.floor(((i + 1) * content.length) / 11)));
    const put = await client.putObject({ account: A, container: 'big', object: 'dir/blob.bin', contentType: 'application/x-blob', metadata: { kind: 'test' }, etag: md5(content) }, Readable.from(pieces));
    expect(put).toMatchObject({ name: 'dir/blob.bin', size: content.length, etag: md5(content) });
    expect(dataFiles(cluster, A, 'big', 'dir/blob.bin').length).toBeGreaterThanOrEqual(2);

    const { header, body } = await client.getObject({ account: A, container: 'big', object: 'dir/blob.bin' });
    expect(header.object).toMatchObject({ size: content.length, etag: md5(content), contentType: 'application/x-blob', metadata: { kind: 'test' } });
    const hash = createHash('md5');
    let n = 0;
    for await (const piece of body) {
      hash.update(piece as Buffer);
      n += (piece as Buffer).length;
    }
    expect(n).toBe(content.length);
    expect(hash.digest('hex')).toBe(md5(content));

    const range = await client.getObjectBuffer({ account: A, container: 'big', object: 'dir/blob.bin', range: { offset: 1000, length: 70_000 } });
    expect(range.header).toMatchObject({ rangeOffset: 1000, rangeLength: 70_000, object: { size: content.length } });
    expect(range.content.equals(content.subarray(1000, 71_000))).toBe(true);

    // The same bytes over HTTP.
    const http = await cluster.proxy.request({ method: 'GET', path: v1Path(A, 'big', 'dir/blob.bin') });
    expect(md5(http.body)).toBe(md5(content));
  });

  test('object metadata: get, replace, delete', async () => {
    await client.createContainer({ account: A, container: 'meta' });
    await client.putObject({ account: A, container: 'meta', object: 'o', contentLength: 5, metadata: { a: '1', b: '2' } }, Buffer.from('hello'));
    const head = await client.getObjectMetadata({ account: A, container: 'meta', object: 'o' });
    expect(head).toMatchObject({ size: 5, etag: md5(Buffer.from('hello')), metadata: { a: '1', b: '2' } });
    expect(head.lastModified).toBeInstanceOf(Date);
    const replaced = await client.updateObjectMetadata({ account: A, container: 'meta', object: 'o', metadata: { c: 'ç' } });
    expect(replaced.metadata).toEqual({ c: 'ç' });
    await client.deleteObject({ account: A, container: 'meta', object: 'o' });
    expect((await failure(client.getObjectMetadata({ account: A, container: 'meta', object: 'o' }))).code).toBe(Code.NOT_FOUND);
    expect((await failure(client.getObjectBuffer({ account: A, container: 'meta', object: 'o' }))).code).toBe(Code.NOT_FOUND);
  });

  test('errors: ETag mismatch and bad names store nothing; missing container; gRPC-only faults', async () => {
    await client.createContainer({ account: A, container: 'errs' });
    const content = Buffer.from('the real content');
    const mismatch = await failure(client.putObject({ account: A, container: 'errs', object: 'etag', etag: md5(Buffer.from('something else')) }, content));
    expect(mismatch.code).toBe(Code.INVALID_ARGUMENT);
    expect(mismatch.fields).toEqual(['header.etag']);
    expect(dataFiles(cluster, A, 'errs', 'etag')).toEqual([]);
    expect((await failure(client.getObjectMetadata({ account: A, container: 'errs', object: 'etag' }))).code).toBe(Code.NOT_FOUND);

    const long = 'x'.repeat(1025);
    const badName = await failure(client.putObject({ account: A, container: 'errs', object: long }, content));
    expect(badName.code).toBe(Code.INVALID_ARGUMENT);
    expect(dataFiles(cluster, A, 'errs', long)).toEqual([]);

    const short = await failure(client.putObject({ account: A, container: 'errs', object: 'short', contentLength: 100 }, content));
    expect(short.code).toBe(Code.INVALID_ARGUMENT);
    expect(short.fields).toEqual(['header.content_length']);
    expect(dataFiles(cluster, A, 'errs', 'short')).toEqual([]);

    expect((await failure(client.putObject({ account: A, container: 'no-such-container', object: 'o' }, content))).code).toBe(Code.NOT_FOUND);
    const slash = await failure(client.getContainer({ account: A, container: 'a/b' }));
    expect(slash.code).toBe(Code.INVALID_ARGUMENT);
    expect(slash.fields).toEqual(['container']);

    const notEmpty = await failure(client.deleteContainer({ account: A, container: 'big' }));
    expect(notEmpty.code).toBe(Code.FAILED_PRECONDITION);
    const outOfRange = await failure(client.getObjectBuffer({ account: A, container: 'big', object: 'dir/blob.bin', range: { offset: 100 * 1024 * 1024 } }));
    expect(outOfRange.code).toBe(Code.OUT_OF_RANGE);
  });

  test('a container quota → RESOURCE_EXHAUSTED, nothing stored; no account without auth → INVALID_ARGUMENT', async () => {
    const c = await client.createContainer({ account: A, container: 'small', quotaBytes: 10 });
    expect(c.quotaBytes).toBe(10);
    await client.putObject({ account: A, container: 'small', object: 'fits' }, Buffer.from('12345'));
    const over = await failure(client.putObject({ account: A, container: 'small', object: 'over', contentLength: 20 }, Buffer.alloc(20)));
    expect(over.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(over.reason).toBe('QUOTA_EXCEEDED');
    expect(dataFiles(cluster, A, 'small', 'over')).toEqual([]);

    // Auth is off: there is no caller whose account '' could mean.
    const noAccount = await failure(client.getAccount({}));
    expect(noAccount.code).toBe(Code.INVALID_ARGUMENT);
    expect(noAccount.fields).toEqual(['account']);
  });

  test('an upload the client abandons half-way stores nothing', async () => {
    await client.createContainer({ account: A, container: 'cut' });
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(1024 * 1024);
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('source failed');
    }
    await expect(client.putObject({ account: A, container: 'cut', object: 'half' }, failing())).rejects.toThrow('source failed');
    // Nothing may appear later either: give the storage servers time to (not) commit.
    await new Promise((r) => setTimeout(r, 1000));
    expect(dataFiles(cluster, A, 'cut', 'half')).toEqual([]);
    expect((await failure(client.getObjectMetadata({ account: A, container: 'cut', object: 'half' }))).code).toBe(Code.NOT_FOUND);
  });

  test('listings: pages, prefix and delimiter; container listing', async () => {
    await client.createContainer({ account: A, container: 'list' });
    const names = ['a/1', 'a/2', 'b', 'c', 'd/x', 'e'];
    for (const n of names) await client.putObject({ account: A, container: 'list', object: n }, Buffer.from(n));
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await client.listObjects({ account: A, container: 'list', pageSize: 4, pageToken: token });
      seen.push(...page.objects.map((o) => o.name));
      expect(page.objectCount).toBe(names.length);
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual(names);
    expect(pages).toBe(2);

    const rolled = await client.listObjects({ account: A, container: 'list', delimiter: '/' });
    expect(rolled.objects.map((o) => o.name)).toEqual(['b', 'c', 'e']);
    expect(rolled.subdirs).toEqual(['a/', 'd/']);
    expect(rolled.nextPageToken).toBe('');
    const prefixed = await client.listObjects({ account: A, container: 'list', prefix: 'a/' });
    expect(prefixed.objects.map((o) => [o.name, o.size, o.etag])).toEqual([
      ['a/1', 3, md5(Buffer.from('a/1'))],
      ['a/2', 3, md5(Buffer.from('a/2'))],
    ]);
    const reversed = await client.listObjects({ account: A, container: 'list', reverse: true, pageSize: 2 });
    expect(reversed.objects.map((o) => o.name)).toEqual(['e', 'd/x']);

    const containers = await client.listContainers({ account: A, prefix: 'li' });
    expect(containers.containers.map((c) => [c.name, c.objectCount])).toEqual([['list', names.length]]);
    const account = await client.getAccount({ account: A });
    expect(account.containerCount).toBeGreaterThanOrEqual(3);
    const tooMany = await failure(client.listObjects({ account: A, container: 'list', pageSize: 100_000 }));
    expect(tooMany.code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe('ObjectService through the real proxy (token auth)', () => {
  let cluster: Cluster;
  const clients: ObjectApi[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ grpc: true, auth: 'token' });
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  async function projectToken(name: string): Promise<{ token: string; projectId: string }> {
    const id = cluster.identity!;
    const admin = id.withToken(await id.adminToken());
    const roles = (await admin.listRoles({})).roles;
    const member = roles.find((r) => r.name === 'member')!.id;
    const p = await admin.createProject({ project: { name: `proj-${name}` } });
    const u = await admin.createUser({ user: { name, password: `pw-${name}` } });
    await admin.createRoleAssignment({ assignment: { userId: u.id, projectId: p.id, roleId: member } });
    const tok = await id.anon().issueToken({ method: { $case: 'password', value: { userName: name, password: `pw-${name}` } }, scope: { projectName: `proj-${name}` } });
    return { token: tok.token, projectId: p.id };
  }

  /**
   * The proxy answers UNAVAILABLE to every token until it has loaded the revocation list: retry
   * a call through that warm-up only (bounded), so a real refusal still fails the test.
   */
  async function afterWarmup<T>(call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if ((err as ServiceError).code !== Code.UNAVAILABLE || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  test('no token → UNAUTHENTICATED; a bad token → UNAUTHENTICATED', async () => {
    const anon = connectObject(grpcAddress(cluster));
    clients.push(anon);
    expect((await failure(afterWarmup(() => anon.getAccount({ account: 'AUTH_someone' })))).code).toBe(Code.UNAUTHENTICATED);
    const bad = connectObject(grpcAddress(cluster), { token: 'not-a-token' });
    clients.push(bad);
    expect((await failure(afterWarmup(() => bad.listContainers({ account: 'AUTH_someone' })))).code).toBe(Code.UNAUTHENTICATED);
  });

  test('a project works in its own account (named or implied); another project’s account is PERMISSION_DENIED', async () => {
    const a = await projectToken('alice');
    const b = await projectToken('bob');
    const alice = connectObject(grpcAddress(cluster), { token: a.token });
    const bob = connectObject(grpcAddress(cluster), { token: b.token });
    clients.push(alice, bob);
    const accountA = `AUTH_${a.projectId}`;
    await afterWarmup(() => alice.getAccount({}));

    await alice.createContainer({ account: accountA, container: 'private' });
    await alice.putObject({ account: accountA, container: 'private', object: 'secret' }, Buffer.from('for alice only'));
    expect((await alice.getObjectBuffer({ account: accountA, container: 'private', object: 'secret' })).content.toString()).toBe('for alice only');

    // The empty account means the caller's own.
    const own = await alice.listObjects({ container: 'private' });
    expect(own.objects.map((o) => o.name)).toEqual(['secret']);

    expect((await failure(bob.getObjectBuffer({ account: accountA, container: 'private', object: 'secret' }))).code).toBe(Code.PERMISSION_DENIED);
    expect((await failure(bob.listObjects({ account: accountA, container: 'private' }))).code).toBe(Code.PERMISSION_DENIED);
    expect((await failure(bob.putObject({ account: accountA, container: 'private', object: 'planted' }, Buffer.from('x')))).code).toBe(Code.PERMISSION_DENIED);
    expect((await failure(bob.getAccount({ account: accountA }))).code).toBe(Code.PERMISSION_DENIED);
    expect(dataFiles(cluster, accountA, 'private', 'planted')).toEqual([]);

    // A read ACL naming bob's project opens reads, not writes.
    await alice.updateContainer({ account: accountA, container: 'private', readAcl: `${b.projectId}:*` });
    expect((await bob.getObjectBuffer({ account: accountA, container: 'private', object: 'secret' })).content.toString()).toBe('for alice only');
    expect((await failure(bob.putObject({ account: accountA, container: 'private', object: 'planted' }, Buffer.from('x')))).code).toBe(Code.PERMISSION_DENIED);
  });
});
