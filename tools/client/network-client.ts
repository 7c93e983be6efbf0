/**
 * A promise-based client for weft.network.v1.NetworkService, shared by the CLI, benchmarks and
 * tests. Credentials are attached as call metadata (today the development project/role headers;
 * bearer tokens once the identity service lands).
 */
import { credentials, Metadata, type CallOptions, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import * as messages from '../../proto/gen/weft/network/v1/network_service';
import { NetworkServiceClient, type WatchRequest, type WatchResponse } from '../../proto/gen/weft/network/v1/network_service';

export interface Credentials {
  project?: string;
  roles?: string[];
  token?: string;
}

type UnaryMethod<Req, Res> = (req: Req, md: Metadata, opts: Partial<CallOptions>, cb: (err: ServiceError | null, res: Res) => void) => unknown;
/** Like ts-proto's DeepPartial: callers give only the fields they mean; the rest default. */
export type Partial2<T> = T extends Date | Buffer | string | number | boolean | undefined
  ? T
  : T extends Array<infer U>
    ? Array<Partial2<U>>
    : T extends { $case: string }
      ? T
      : T extends object
        ? { [K in keyof T]?: Partial2<T[K]> }
        : T;

type Promisified<C> = {
  [K in keyof C as K extends "watch" ? never : C[K] extends UnaryMethod<never, unknown> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (req: Partial2<Req>, opts?: { deadlineMs?: number }) => Promise<Res>
    : never;
};

interface PartialCodec {
  fromPartial(object: unknown): unknown;
}

function requestCodec(method: string): PartialCodec | undefined {
  const name = method[0].toUpperCase() + method.slice(1) + 'Request';
  const codec = (messages as unknown as Record<string, PartialCodec | undefined>)[name];
  return codec && typeof codec.fromPartial === 'function' ? codec : undefined;
}

export type NetworkApi = Promisified<NetworkServiceClient> & {
  watch(req: Partial2<WatchRequest>): ClientReadableStream<WatchResponse>;
  raw: NetworkServiceClient;
  /** The x-request-id of the last completed call (for logs and error reports). */
  lastRequestId(): string | undefined;
  close(): void;
};

export function metadataFor(creds: Credentials): Metadata {
  const md = new Metadata();
  if (creds.token) md.set('authorization', `Bearer ${creds.token}`);
  if (creds.project) md.set('x-weft-project', creds.project);
  if (creds.roles && creds.roles.length > 0) md.set('x-weft-roles', creds.roles.join(','));
  return md;
}

export function connectNetwork(address: string, creds: Credentials): NetworkApi {
  const raw = new NetworkServiceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  let lastId: string | undefined;
  const md = metadataFor(creds);
  const api: Record<string, unknown> = {
    raw,
    close: () => raw.close(),
    lastRequestId: () => lastId,
    watch: (req: Partial2<WatchRequest>) => raw.watch(messages.WatchRequest.fromPartial(req), metadataFor(creds)),
  };
  const proto = Object.getPrototypeOf(raw) as Record<string, unknown>;
  for (const name of Object.keys(proto)) {
    const fn = proto[name];
    if (typeof fn !== 'function' || name === 'watch' || name === 'constructor') continue;
    const method = fn as (...args: unknown[]) => { on(ev: string, cb: (st: { metadata: Metadata }) => void): void };
    const codec = requestCodec(name);
    if (!codec) continue;
    api[name] = (partial: unknown, opts: { deadlineMs?: number } = {}) =>
      new Promise((resolve, reject) => {
        const callOpts: Partial<CallOptions> = opts.deadlineMs ? { deadline: Date.now() + opts.deadlineMs } : {};
        const req = codec.fromPartial(partial ?? {});
        const call = method.call(raw, req, md, callOpts, (err: ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)));
        call.on('status', (st: { metadata: Metadata }) => {
          const id = st.metadata.get('x-request-id')[0];
          if (typeof id === 'string') lastId = id;
        });
      });
  }
  return api as unknown as NetworkApi;
}
