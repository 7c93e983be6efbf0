/**
 * weft.object.v1.ObjectService on top of the proxy pipeline: every RPC becomes the ProxyRequest
 * the Swift HTTP face would have built for the same operation, runs through the same Handler
 * (auth, quotas, large objects, controllers), and the ProxyResponse is mapped back to messages
 * or a gRPC status. This module is the I/O glue; the mappings it uses are pure (request-mapping,
 * response-mapping, status-mapping).
 */
import {
  Metadata,
  status as Code,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import type {
  Account,
  Container,
  CreateContainerRequest,
  DeleteContainerRequest,
  DeleteContainerResponse,
  DeleteObjectRequest,
  DeleteObjectResponse,
  GetAccountRequest,
  GetContainerRequest,
  GetObjectMetadataRequest,
  GetObjectRequest,
  GetObjectResponse,
  ListContainersRequest,
  ListContainersResponse,
  ListObjectsRequest,
  ListObjectsResponse,
  Object as StoredObject,
  ObjectServiceServer,
  PutObjectRequest,
  UpdateAccountRequest,
  UpdateContainerRequest,
  UpdateObjectMetadataRequest,
} from '../../../../proto/gen/weft/object/v1/object_service';
import { toServiceError, WeftError } from '../../../runtime/errors';
import type { Logger } from '../../../runtime/log';
import type { Handler, ProxyRequest, ProxyResponse } from '../app/types';
import { readText, sendBody } from './download-body';
import { clientRequestHeaders, clientResponse } from './gatekeeper';
import { lowerCaseHeaders } from './header-text';
import {
  isConditional,
  planDeleteObject,
  planGetObject,
  planHeadAccount,
  planHeadContainer,
  planHeadObject,
  planListContainers,
  planListObjects,
  plannedLimit,
  planPostAccount,
  planPostContainer,
  planPostObject,
  planPutContainer,
  planPutObject,
  type RequestPlan,
} from './request-mapping';
import { accountFromHeaders, containerFromHeaders, containerListing, getObjectHeader, objectFromHeaders, objectListing } from './response-mapping';
import { errorForResponse, isSuccess, type RpcKind } from './status-mapping';
import { receiveUpload } from './upload-body';

export interface ObjectServiceDeps {
  handler: Handler;
  logger: Logger;
  newTransId: () => string;
}

/** Error pages are short; a longer one is cut (only its words reach the client). */
const ERROR_BODY_LIMIT = 4096;
/** A JSON listing page of up to 10,000 long names fits comfortably. */
const LISTING_BODY_LIMIT = 64 * 1024 * 1024;

interface CallContext {
  rpc: RpcKind;
  transId: string;
  /** The caller's token from `authorization: Bearer` (or `x-auth-token`) metadata. */
  token: string | undefined;
}

function tokenFrom(md: Metadata): string | undefined {
  const auth = md.get('authorization')[0];
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim() || undefined;
  const direct = md.get('x-auth-token')[0];
  return typeof direct === 'string' && direct ? direct : undefined;
}

function discard(body: ProxyResponse['body']): void {
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body.resume();
}

function targetOf(plan: RequestPlan): string {
  return [plan.container, plan.object].filter((p) => p !== undefined).join('/') || plan.account;
}

export class ObjectServiceFace {
  constructor(private readonly deps: ObjectServiceDeps) {}

  private request(ctx: CallContext, plan: RequestPlan, body?: Readable): ProxyRequest {
    const headers = clientRequestHeaders(plan.headers);
    if (ctx.token) headers['x-auth-token'] = ctx.token;
    const req: ProxyRequest = {
      method: plan.method,
      account: plan.account,
      query: plan.query,
      headers,
      transId: ctx.transId,
      source: 'client',
    };
    if (plan.container !== undefined) req.container = plan.container;
    if (plan.object !== undefined) req.object = plan.object;
    if (body) req.body = body;
    return req;
  }

  /** Runs a plan; a response that is not a success of ctx.rpc becomes the mapped error. */
  private async run(ctx: CallContext, plan: RequestPlan, opts: { body?: Readable; conditional?: boolean; fieldPrefix?: string } = {}): Promise<ProxyResponse> {
    const res = clientResponse(await this.deps.handler(this.request(ctx, plan, opts.body)));
    if (isSuccess(ctx.rpc, res.status)) return res;
    const text = await readText(res.body, ERROR_BODY_LIMIT).catch(() => '');
    throw errorForResponse({
      rpc: ctx.rpc,
      status: res.status,
      body: text,
      conditional: opts.conditional ?? false,
      fieldPrefix: opts.fieldPrefix ?? '',
      transId: ctx.transId,
      target: targetOf(plan),
    });
  }

  private async headers(ctx: CallContext, plan: RequestPlan): Promise<Record<string, string>> {
    const res = await this.run(ctx, plan);
    discard(res.body);
    return lowerCaseHeaders(res.headers);
  }

  private begin(rpc: RpcKind, md: Metadata): CallContext {
    return { rpc, transId: this.deps.newTransId(), token: tokenFrom(md) };
  }

  private finish(ctx: CallContext, started: bigint, err?: unknown): { error?: Partial<ServiceError>; trailer: Metadata } {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const fields: Record<string, unknown> = { trans_id: ctx.transId, rpc: ctx.rpc, duration_ms: Math.round(ms * 1000) / 1000 };
    const trailer = new Metadata();
    trailer.set('x-trans-id', ctx.transId);
    trailer.set('x-request-id', ctx.transId);
    if (err === undefined) {
      this.deps.logger.debug('object rpc', { ...fields, code: 'OK' });
      return { trailer };
    }
    const { error, internal } = toServiceError(err, ctx.transId);
    error.metadata?.set('x-trans-id', ctx.transId);
    const code = Code[error.code ?? Code.UNKNOWN];
    if (internal) this.deps.logger.error('object rpc failed with internal error', { ...fields, code, error: err });
    else this.deps.logger.info('object rpc', { ...fields, code });
    return { error, trailer };
  }

  private unary<Req, Res>(rpc: RpcKind, fn: (req: Req, ctx: CallContext) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = process.hrtime.bigint();
      const ctx = this.begin(rpc, call.metadata);
      fn(call.request, ctx).then(
        (res) => callback(null, res, this.finish(ctx, started).trailer),
        (err: unknown) => callback(this.finish(ctx, started, err).error ?? null),
      );
    };
  }

  /** The grpc-js implementation of ObjectService. */
  implementation(): ObjectServiceServer {
    return {
      putObject: (call, callback) => this.putObject(call, callback),
      getObject: (call) => this.getObject(call),
      getObjectMetadata: this.unary<GetObjectMetadataRequest, StoredObject>('GetObjectMetadata', async (r, ctx) =>
        objectFromHeaders(await this.headers(ctx, planHeadObject(r)), { account: r.account, container: r.container, name: r.object }),
      ),
      updateObjectMetadata: this.unary<UpdateObjectMetadataRequest, StoredObject>('UpdateObjectMetadata', async (r, ctx) => {
        await this.headers(ctx, planPostObject(r));
        // Swift's POST answers 202 without a description; read back what is now stored.
        const h = await this.headers({ ...ctx, rpc: 'GetObjectMetadata' }, planHeadObject(r));
        return objectFromHeaders(h, { account: r.account, container: r.container, name: r.object });
      }),
      deleteObject: this.unary<DeleteObjectRequest, DeleteObjectResponse>('DeleteObject', async (r, ctx) => {
        await this.headers(ctx, planDeleteObject(r));
        return {};
      }),
      listObjects: this.unary<ListObjectsRequest, ListObjectsResponse>('ListObjects', async (r, ctx) => {
        const plan = planListObjects(r);
        const res = await this.run(ctx, plan);
        const body = await readText(res.body, LISTING_BODY_LIMIT);
        return objectListing(body, lowerCaseHeaders(res.headers), r.account, r.container, plannedLimit(plan));
      }),
      createContainer: this.unary<CreateContainerRequest, Container>('CreateContainer', async (r, ctx) => {
        await this.headers(ctx, planPutContainer(r));
        const h = await this.headers({ ...ctx, rpc: 'GetContainer' }, planHeadContainer(r));
        return containerFromHeaders(h, r.account, r.container);
      }),
      getContainer: this.unary<GetContainerRequest, Container>('GetContainer', async (r, ctx) =>
        containerFromHeaders(await this.headers(ctx, planHeadContainer(r)), r.account, r.container),
      ),
      updateContainer: this.unary<UpdateContainerRequest, Container>('UpdateContainer', async (r, ctx) => {
        await this.headers(ctx, planPostContainer(r));
        const h = await this.headers({ ...ctx, rpc: 'GetContainer' }, planHeadContainer(r));
        return containerFromHeaders(h, r.account, r.container);
      }),
      deleteContainer: this.unary<DeleteContainerRequest, DeleteContainerResponse>('DeleteContainer', async (r, ctx) => {
        await this.headers(ctx, planHeadContainer(r, 'DELETE'));
        return {};
      }),
      listContainers: this.unary<ListContainersRequest, ListContainersResponse>('ListContainers', async (r, ctx) => {
        const plan = planListContainers(r);
        const res = await this.run(ctx, plan);
        const body = await readText(res.body, LISTING_BODY_LIMIT);
        return containerListing(body, lowerCaseHeaders(res.headers), r.account, plannedLimit(plan));
      }),
      getAccount: this.unary<GetAccountRequest, Account>('GetAccount', async (r, ctx) => accountFromHeaders(await this.headers(ctx, planHeadAccount(r)), r.account)),
      updateAccount: this.unary<UpdateAccountRequest, Account>('UpdateAccount', async (r, ctx) => {
        await this.headers(ctx, planPostAccount(r));
        return accountFromHeaders(await this.headers({ ...ctx, rpc: 'GetAccount' }, planHeadAccount(r)), r.account);
      }),
    };
  }

  private putObject(call: ServerReadableStream<PutObjectRequest, StoredObject>, callback: sendUnaryData<StoredObject>): void {
    const started = process.hrtime.bigint();
    const ctx = this.begin('PutObject', call.metadata);
    const work = async (): Promise<StoredObject> => {
      const upload = await receiveUpload(call);
      const h = upload.header;
      let res: ProxyResponse;
      try {
        const plan = planPutObject(h);
        res = await this.run(ctx, plan, { body: upload.body, fieldPrefix: 'header.' });
      } catch (err) {
        // A protocol fault explains the pipeline's failure better than the pipeline can.
        throw upload.fault() ?? err;
      } finally {
        if (!upload.body.readableEnded) upload.body.destroy();
      }
      const fault = upload.fault();
      if (fault) throw fault;
      discard(res.body);
      // A PUT's answer carries the ETag, Last-Modified and X-Timestamp; its Content-Type is the
      // answer's own, so the rest comes from what was stored.
      const object = objectFromHeaders(lowerCaseHeaders(res.headers), { account: h.account, container: h.container, name: h.object });
      object.size = upload.received();
      object.contentType = h.contentType;
      object.deleteAt = h.deleteAt;
      object.headers = Object.fromEntries(Object.entries(h.headers).map(([k, v]) => [k.toLowerCase(), v]));
      // Lower-case keys, as every other call returns them (header names are case-insensitive).
      object.metadata = Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k.toLowerCase(), v]));
      return object;
    };
    work().then(
      (res) => callback(null, res, this.finish(ctx, started).trailer),
      (err: unknown) => callback(this.finish(ctx, started, err).error ?? null),
    );
  }

  private getObject(call: ServerWritableStream<GetObjectRequest, GetObjectResponse>): void {
    const started = process.hrtime.bigint();
    const ctx = this.begin('GetObject', call.metadata);
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    const write = (msg: GetObjectResponse): Promise<void> =>
      new Promise((resolve) => {
        if (abort.signal.aborted) return resolve();
        if (call.write(msg)) resolve();
        else call.once('drain', () => resolve());
      });
    const work = async (): Promise<void> => {
      const r = call.request;
      const res = await this.run(ctx, planGetObject(r), { conditional: isConditional(r) });
      const header = getObjectHeader(lowerCaseHeaders(res.headers), { account: r.account, container: r.container, name: r.object });
      await write({ content: { $case: 'header', value: header } });
      let sent: number;
      try {
        sent = await sendBody(res.body, (chunk) => write({ content: { $case: 'chunk', value: chunk } }), abort.signal);
      } catch {
        // The proxy's MD5 check or a storage server failing mid-stream: a retry reads a good replica.
        throw new WeftError(Code.UNAVAILABLE, 'the object stream failed; retry', { reason: 'STREAM_FAILED' });
      }
      if (!abort.signal.aborted && sent !== header.rangeLength) {
        // A short body means a storage server failed mid-stream: the client must not take it as whole.
        throw new WeftError(Code.UNAVAILABLE, `object body ended after ${sent} of ${header.rangeLength} bytes`, { reason: 'TRUNCATED' });
      }
    };
    work().then(
      () => {
        const { trailer } = this.finish(ctx, started);
        if (!call.cancelled) call.end(trailer);
      },
      (err: unknown) => {
        const { error } = this.finish(ctx, started, err);
        if (!call.cancelled && error) call.emit('error', error);
      },
    );
  }
}
