/**
 * Starts the proxy's gRPC face (weft.object.v1.ObjectService) on top of the same Handler the HTTP
 * face uses. Reuses the runtime's RpcServer for listening, health, reflection and draining;
 * authentication is not done here but by the pipeline's auth middleware, which receives the
 * bearer token as X-Auth-Token like any Swift request.
 */
import * as path from 'node:path';
import { ObjectServiceService } from '../../../../proto/gen/weft/object/v1/object_service';
import { DenyAllAuthenticator } from '../../../runtime/caller';
import type { Logger } from '../../../runtime/log';
import { RpcServer } from '../../../runtime/server';
import type { Handler } from '../app/types';
import { ObjectServiceFace } from './object-service';
import { newTransId } from '../app/trans-id';

/** dist/services/object/proxy/grpc → the repository's proto/ (as services/identity/app.ts does). */
const PROTO_ROOT = path.join(__dirname, '..', '..', '..', '..', '..', 'proto');
const SERVICE_NAME = 'weft.object.v1.ObjectService';

export interface ObjectGrpcOptions {
  /** host:port (port 0 = any free port) or unix:/path. */
  grpcListen: string;
  /** Largest message accepted (upload chunks); default 5 MiB (4 MiB chunks plus framing). */
  maxReceiveMessageBytes?: number;
  /** How long stop() lets calls in flight finish; default 10 s. */
  drainMs?: number;
  /** Transaction id source (tests); default Swift-shaped random ids. */
  newTransId?: () => string;
}

export interface ObjectGrpcServer {
  /** The bound port (0 for a unix socket). */
  port: number;
  stop(): Promise<void>;
}

export async function startObjectGrpc(handler: Handler, options: ObjectGrpcOptions, logger: Logger): Promise<ObjectGrpcServer> {
  const server = new RpcServer({
    logger,
    // Never consulted: ObjectService's calls do not go through RpcServer's wrappers.
    authenticator: new DenyAllAuthenticator(),
    protoRoot: PROTO_ROOT,
    reflectionProtos: ['weft/object/v1/object_service.proto'],
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? 5 * 1024 * 1024,
  });
  const face = new ObjectServiceFace({ handler, logger: logger.child({ face: 'grpc' }), newTransId: options.newTransId ?? (() => newTransId()) });
  server.grpc.addService(ObjectServiceService, face.implementation());
  server.health.setStatus(SERVICE_NAME, 'SERVING');
  const port = await server.listen(options.grpcListen);
  return { port, stop: () => server.drain(options.drainMs ?? 10_000) };
}
