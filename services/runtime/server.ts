/**
 * The gRPC server bootstrap every Weft process uses: request ids, authentication, JSON access
 * logs, error mapping, health, reflection and a draining shutdown.
 *
 * Services register plain async functions `(request, caller) => response`; the wrappers here do
 * the rest, so no handler ever touches grpc-js call objects except to stream.
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  status as Status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import * as protoLoader from '@grpc/proto-loader';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import * as path from 'node:path';
import type { Authenticator, Caller } from './caller';
import { toServiceError } from './errors';
import type { Logger } from './log';

export type UnaryHandler<Req, Res> = (request: Req, caller: Caller) => Promise<Res>;
/** A streaming handler writes through `send` and resolves when the stream is done. */
export type StreamHandler<Req, Res> = (
  request: Req,
  caller: Caller,
  stream: { send(msg: Res): Promise<void>; signal: AbortSignal },
) => Promise<void>;

export interface RpcServerOptions {
  logger: Logger;
  authenticator: Authenticator;
  /** .proto files (relative to protoRoot) exposed through server reflection. */
  reflectionProtos: string[];
  protoRoot: string;
  maxReceiveMessageBytes?: number;
  /**
   * Full method paths callable without credentials (e.g. IssueToken). When the caller sends
   * credentials anyway they are still validated; without them the handler gets ANONYMOUS.
   */
  publicMethods?: readonly string[];
}

/** The caller of a public method that presented no credentials. */
export const ANONYMOUS: Caller = Object.freeze({ projectId: '', roles: [], userId: '', isAdmin: false, requestId: '' });

export class RpcServer {
  readonly grpc: Server;
  readonly health = new HealthImplementation({ '': 'SERVING' });
  private readonly streams = new Set<AbortController>();
  private inflight = 0;
  private closing = false;

  constructor(private readonly opts: RpcServerOptions) {
    this.grpc = new Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
      'grpc.keepalive_permit_without_calls': 1,
    });
    this.health.addToServer(this.grpc);
    const pkg = protoLoader.loadSync(opts.reflectionProtos, { includeDirs: [opts.protoRoot] });
    new ReflectionService(pkg).addToServer(this.grpc);
  }

  /** Wraps a map of method name → handler into a grpc-js implementation and registers it. */
  addService(
    definition: ServiceDefinition,
    serviceName: string,
    unary: Record<string, UnaryHandler<never, unknown>>,
    streaming: Record<string, StreamHandler<never, unknown>> = {},
  ): void {
    const impl: UntypedServiceImplementation = {};
    for (const key of Object.keys(definition)) {
      const method = definition[key];
      const rpcName = method.path.slice(method.path.lastIndexOf('/') + 1);
      if (method.responseStream) {
        const h = streaming[rpcName];
        if (!h) throw new Error(`no handler for streaming ${method.path}`);
        impl[key] = this.wrapStream(method.path, h as StreamHandler<unknown, unknown>);
      } else {
        const h = unary[rpcName];
        if (!h) throw new Error(`no handler for ${method.path}`);
        impl[key] = this.wrapUnary(method.path, h as UnaryHandler<unknown, unknown>);
      }
    }
    this.grpc.addService(definition, impl);
    this.health.setStatus(serviceName, 'SERVING');
  }

  /**
   * Serves on `host:port` (resolves to the bound port, useful with :0) or `unix:/path` (resolves to
   * 0). May be called more than once: every address serves the same services. A unix socket's
   * directory is created; a stale socket file left by a killed process is replaced, but a socket
   * something still answers on, or any other kind of file, is not.
   */
  async listen(address: string): Promise<number> {
    const socketPath = unixSocketPath(address);
    if (socketPath !== undefined) await prepareUnixSocket(socketPath);
    const port = await new Promise<number>((resolve, reject) => {
      this.grpc.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    return socketPath === undefined ? port : 0;
  }

  /**
   * Stops accepting calls, ends watch streams, lets in-flight unary calls finish (up to graceMs),
   * then closes the transport.
   */
  async drain(graceMs = 10_000): Promise<void> {
    this.closing = true;
    this.health.setStatus('', 'NOT_SERVING');
    for (const s of this.streams) s.abort();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, graceMs);
      this.grpc.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get inflightCalls(): number {
    return this.inflight;
  }

  private begin(call: { metadata: Metadata }, path: string) {
    const requestId = randomUUID();
    const anonymousOk = this.opts.publicMethods?.includes(path) && call.metadata.get('authorization').length === 0;
    const auth = anonymousOk ? { ...ANONYMOUS, requestId } : this.opts.authenticator.authenticate(call.metadata, requestId);
    return { requestId, auth, started: process.hrtime.bigint(), path };
  }

  private finish(ctx: { requestId: string; started: bigint; path: string }, code: number, caller: Caller | undefined, err?: unknown): void {
    const ms = Number(process.hrtime.bigint() - ctx.started) / 1e6;
    const fields: Record<string, unknown> = {
      request_id: ctx.requestId,
      method: ctx.path,
      code: Status[code],
      duration_ms: Math.round(ms * 1000) / 1000,
      project_id: caller?.projectId,
    };
    if (err !== undefined) {
      this.opts.logger.error('rpc failed with internal error', { ...fields, error: err });
    } else if (code !== Status.OK) {
      this.opts.logger.info('rpc', fields);
    } else {
      this.opts.logger.debug('rpc', fields);
    }
  }

  private wrapUnary(path: string, handler: UnaryHandler<unknown, unknown>) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      const ctx = this.begin(call, path);
      if (this.closing) {
        callback({ code: Status.UNAVAILABLE, details: 'server is shutting down' });
        return;
      }
      if (!isCaller(ctx.auth)) {
        const { error } = toServiceError(ctx.auth, ctx.requestId);
        this.finish(ctx, error.code ?? Status.UNKNOWN, undefined);
        callback(error);
        return;
      }
      const caller = ctx.auth;
      this.inflight++;
      handler(call.request, caller).then(
        (res) => {
          this.inflight--;
          this.finish(ctx, Status.OK, caller);
          // The request id rides in the trailers (not early headers) so headers, message and
          // trailers leave in one write.
          callback(null, res, requestIdMetadata(ctx.requestId));
        },
        (err: unknown) => {
          this.inflight--;
          const { error, internal } = toServiceError(err, ctx.requestId);
          this.finish(ctx, error.code ?? Status.UNKNOWN, caller, internal ? err : undefined);
          callback(error);
        },
      );
    };
  }

  private wrapStream(path: string, handler: StreamHandler<unknown, unknown>) {
    return (call: ServerWritableStream<unknown, unknown>): void => {
      const ctx = this.begin(call, path);
      const fail = (err: unknown, caller?: Caller): void => {
        const { error, internal } = toServiceError(err, ctx.requestId);
        this.finish(ctx, error.code ?? Status.UNKNOWN, caller, internal ? err : undefined);
        call.emit('error', error);
      };
      if (this.closing) {
        call.emit('error', { code: Status.UNAVAILABLE, details: 'server is shutting down' });
        return;
      }
      if (!isCaller(ctx.auth)) {
        fail(ctx.auth);
        return;
      }
      const caller = ctx.auth;
      // Streams are long-lived: tell the client its request id up front.
      call.sendMetadata(requestIdMetadata(ctx.requestId));
      const abort = new AbortController();
      this.streams.add(abort);
      call.on('cancelled', () => abort.abort());
      call.on('close', () => abort.abort());
      const send = (msg: unknown): Promise<void> =>
        new Promise((resolve) => {
          if (abort.signal.aborted) return resolve();
          // Respect backpressure: wait for drain instead of buffering unboundedly for slow watchers.
          if (call.write(msg)) resolve();
          else call.once('drain', () => resolve());
        });
      handler(call.request, caller, { send, signal: abort.signal }).then(
        () => {
          this.streams.delete(abort);
          this.finish(ctx, Status.OK, caller);
          if (!call.cancelled) call.end();
        },
        (err: unknown) => {
          this.streams.delete(abort);
          fail(err, caller);
        },
      );
    };
  }
}

/** The file path of a `unix:` address (`unix:/abs`, `unix:///abs` or `unix:relative`), else undefined. */
export function unixSocketPath(address: string): string | undefined {
  if (!address.startsWith('unix:')) return undefined;
  const rest = address.slice(5);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

async function prepareUnixSocket(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new Error(`${file} exists and is not a unix socket; refusing to replace it`);
  const answering = await new Promise<boolean>((resolve) => {
    const probe = connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answering) throw new Error(`${file} is in use by a running server`);
  await unlink(file);
}

function requestIdMetadata(requestId: string): Metadata {
  const md = new Metadata();
  md.set('x-request-id', requestId);
  return md;
}

function isCaller(x: unknown): x is Caller {
  return typeof x === 'object' && x !== null && 'projectId' in x && 'roles' in x;
}
