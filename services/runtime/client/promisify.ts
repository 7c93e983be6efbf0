/**
 * Turns a ts-proto grpc-js client into promise-returning methods that take partial requests,
 * attach the caller's credentials as metadata and remember the last request id. Shared by every
 * Weft service client (network, identity, ...).
 */
import { Metadata, type CallOptions, type Client, type ServiceError } from '@grpc/grpc-js';

/** A bearer token from the identity service (none for anonymous calls such as login). */
export interface Credentials {
  token?: string;
}

export type UnaryMethod<Req, Res> = (req: Req, md: Metadata, opts: Partial<CallOptions>, cb: (err: ServiceError | null, res: Res) => void) => unknown;

/** Like ts-proto's DeepPartial: callers give only the fields they mean; the rest default. */
export type Partial2<T> = T extends Date | Buffer | string | number | boolean | undefined
  ? T
  : T extends Array<infer U>
    ? Array<Partial2<U>>
    : T extends { $case: infer C; value: infer V }
      ? { $case: C; value: Partial2<V> }
      : T extends object
        ? { [K in keyof T]?: Partial2<T[K]> }
        : T;

/** The unary methods of a generated client, promisified (streaming methods are left out). */
export type Promisified<C, Streams extends string = never> = {
  [K in keyof C as K extends Streams ? never : C[K] extends UnaryMethod<never, unknown> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (req: Partial2<Req>, opts?: { deadlineMs?: number }) => Promise<Res>
    : never;
};

interface PartialCodec {
  fromPartial(object: unknown): unknown;
}

export function metadataFor(creds: Credentials): Metadata {
  const md = new Metadata();
  if (creds.token) md.set('authorization', `Bearer ${creds.token}`);
  return md;
}

/**
 * Adds `<method>(partialRequest, opts)` for every unary method of `raw` whose request message
 * (`<Method>Request`) is exported by `messages`, plus `raw`, `close` and `lastRequestId`.
 */
export function promisify(raw: Client, messages: object, creds: Credentials, skip: readonly string[] = []): Record<string, unknown> {
  let lastId: string | undefined;
  // One metadata object per client: grpc-js clones it into each call.
  const md = metadataFor(creds);
  const api: Record<string, unknown> = { raw, close: () => raw.close(), lastRequestId: () => lastId };
  const proto = Object.getPrototypeOf(raw) as Record<string, unknown>;
  for (const name of Object.keys(proto)) {
    const fn = proto[name];
    if (typeof fn !== 'function' || name === 'constructor' || skip.includes(name)) continue;
    const codec = (messages as Record<string, PartialCodec | undefined>)[name[0].toUpperCase() + name.slice(1) + 'Request'];
    if (!codec || typeof codec.fromPartial !== 'function') continue;
    const method = fn as (...args: unknown[]) => { on(ev: string, cb: (st: { metadata: Metadata }) => void): void };
    api[name] = (partial: unknown, opts: { deadlineMs?: number } = {}) =>
      new Promise((resolve, reject) => {
        const callOpts: Partial<CallOptions> = opts.deadlineMs ? { deadline: Date.now() + opts.deadlineMs } : {};
        const call = method.call(raw, codec.fromPartial(partial ?? {}), md, callOpts, (err: ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)));
        call.on('status', (st: { metadata: Metadata }) => {
          const id = st.metadata.get('x-request-id')[0];
          if (typeof id === 'string') lastId = id;
        });
      });
  }
  return api;
}
