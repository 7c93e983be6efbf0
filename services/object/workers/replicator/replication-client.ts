/**
 * The replicator's calls to storage servers (the protocol of
 * storage/http/replication-routes.ts), over keep-alive connections, each bounded in time.
 * A push pipes the local server's framed copy of a hash directory straight into the peer's
 * PUT, so objects of any size pass through in constant memory.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { SuffixHashes } from '../../storage/diskfile/partition-hashes';
import type { SuffixListing } from '../../storage/replication/merge-plan';
import type { DbKind, DbPage, DbRef, DbSummary } from '../../storage/replication/db-dump';
import { dbRequestPath } from '../../storage/replication/db-path';
import { hashRequestPath, partitionRequestPath } from '../../storage/replication/replication-path';

export interface NodeAddress {
  ip: string;
  port: number;
  device: string;
}

/** A storage server answered something unexpected, or did not answer in time. */
export class ReplicationRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, when there was one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ReplicationRequestError';
  }
}

const LAYER = { 'X-Backend-Storage-Layer': 'replication' };

export type PushOutcome = 'installed' | 'current' | 'gone';

export class ReplicationClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(private readonly timeoutMs: number) {}

  close(): void {
    this.agent.destroy();
  }

  private send(node: NodeAddress, method: string, path: string, headers: Record<string, string | number>, body?: IncomingMessage | Buffer): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ host: node.ip, port: node.port, method, path, headers: { ...LAYER, ...headers }, agent: this.agent }, resolve);
      req.setTimeout(this.timeoutMs, () => req.destroy(new ReplicationRequestError(`${method} ${node.ip}:${node.port}${path}: no answer in ${this.timeoutMs} ms`)));
      req.on('error', (err) => {
        // A failed push must not leave the local read hanging on its keep-alive socket.
        if (body && !Buffer.isBuffer(body)) body.destroy();
        reject(err instanceof ReplicationRequestError ? err : new ReplicationRequestError(`${method} ${node.ip}:${node.port}${path}: ${err.message}`));
      });
      if (Buffer.isBuffer(body)) req.end(body);
      else if (body) {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      } else req.end();
    });
  }

  private async json<T>(node: NodeAddress, method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {};
    const res = await this.send(node, method, path, headers, payload);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 200) throw new ReplicationRequestError(`${method} ${node.ip}:${node.port}${path}: ${res.statusCode} ${text.slice(0, 200)}`, res.statusCode);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ReplicationRequestError(`${method} ${node.ip}:${node.port}${path}: answer is not JSON`);
    }
  }

  /** Swift's REPLICATE: the partition's suffix hashes, after recalculating `suffixes`. */
  replicate(node: NodeAddress, partition: number, suffixes: readonly string[] = []): Promise<SuffixHashes> {
    return this.json(node, 'POST', partitionRequestPath(node.device, partition, suffixes));
  }

  listSuffixes(node: NodeAddress, partition: number, suffixes: readonly string[]): Promise<SuffixListing> {
    return this.json(node, 'GET', partitionRequestPath(node.device, partition, suffixes));
  }

  /** Copies one hash directory from `from` (the local server) to `to`. */
  async push(from: NodeAddress, to: NodeAddress, partition: number, hash: string): Promise<PushOutcome> {
    const src = await this.send(from, 'GET', hashRequestPath(from.device, partition, hash), {});
    if (src.statusCode === 404) {
      src.resume();
      return 'gone';
    }
    if (src.statusCode !== 200) {
      src.resume();
      throw new ReplicationRequestError(`reading ${hash} from ${from.device}: ${src.statusCode}`, src.statusCode);
    }
    const length = src.headers['content-length'];
    const headers: Record<string, string | number> = length !== undefined ? { 'Content-Length': length } : { 'Transfer-Encoding': 'chunked' };
    const res = await this.send(to, 'PUT', hashRequestPath(to.device, partition, hash), headers, src);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    if (res.statusCode === 201) return 'installed';
    if (res.statusCode === 202) return 'current';
    throw new ReplicationRequestError(`pushing ${hash} to ${to.ip}:${to.port}/${to.device}: ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`, res.statusCode);
  }

  /** Every container and account database on a device, with digests. */
  listDbs(node: NodeAddress): Promise<DbSummary[]> {
    return this.json(node, 'GET', dbRequestPath(node.device));
  }

  /** A database's digest on a device, or undefined when it does not hold it. */
  async dbDigest(node: NodeAddress, ref: DbRef): Promise<string | undefined> {
    try {
      return (await this.json<{ digest: string }>(node, 'GET', dbRequestPath(node.device, ref))).digest;
    } catch (err) {
      if (err instanceof ReplicationRequestError && err.status === 404) return undefined;
      throw err;
    }
  }

  dbRows(node: NodeAddress, ref: DbRef, marker?: string): Promise<DbPage> {
    return this.json(node, 'GET', dbRequestPath(node.device, ref, { rows: true, marker }));
  }

  mergeDb(node: NodeAddress, kind: DbKind, hash: string, page: { record: DbPage['record']; rows: DbPage['rows']; final: boolean }): Promise<{ rowsApplied: number }> {
    return this.json(node, 'POST', dbRequestPath(node.device, { kind, hash }), page);
  }

  /** Drops a handed-off database if it is unchanged since `digest`; false when it changed. */
  async dropDb(node: NodeAddress, ref: DbRef, digest: string): Promise<boolean> {
    const res = await this.send(node, 'DELETE', dbRequestPath(node.device, ref), { 'X-Backend-Db-Digest': digest });
    res.resume();
    await new Promise((r) => res.on('end', r));
    if (res.statusCode === 204) return true;
    if (res.statusCode === 409) return false;
    throw new ReplicationRequestError(`dropping ${ref.kind} ${ref.hash} on ${node.device}: ${res.statusCode}`, res.statusCode);
  }

  /** Removes exactly `files` of a handed-over hash directory on the local server. */
  async removeHandedOff(node: NodeAddress, partition: number, hash: string, files: readonly string[]): Promise<void> {
    const res = await this.send(node, 'DELETE', hashRequestPath(node.device, partition, hash), { 'X-Backend-Replicated-Files': files.join(',') });
    res.resume();
    await new Promise((r) => res.on('end', r));
    if (res.statusCode !== 204) throw new ReplicationRequestError(`removing handed-off ${hash} on ${node.device}: ${res.statusCode}`, res.statusCode);
  }
}
