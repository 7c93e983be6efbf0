#!/usr/bin/env node
/**
 * The proxy process: `node dist/services/object/proxy/main.js [--config file.json]` (or
 * WEFT_OBJECT_PROXY_CONFIG). Prints `{"ready":true,"port":<http>,"grpcPort":<grpc or null>}` on
 * stdout once listening; logs are JSON lines on stderr. SIGTERM/SIGINT stop accepting, let
 * in-flight requests finish (bounded), then exit.
 */
import { loadProcessConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/log';
import { drainOnSignals } from '../../runtime/signals';
import { createProxyContext } from './app/context';
import { Rings } from './backend/rings';
import { StorageClient } from './backend/storage-client';
import { loadProxyConfig } from './config';
import { proxyAuthFor } from './auth/proxy-auth';
import { startObjectGrpc } from './grpc/server';
import { createPipeline } from './pipeline';
import { type AuthEndpoint, startProxyHttp } from './server';

async function main(): Promise<void> {
  const config = loadProcessConfig('weft-object-proxy', 'WEFT_OBJECT_PROXY_CONFIG', loadProxyConfig);
  const logger = createLogger({ level: config.logLevel, base: { service: 'object-proxy' } });
  const rings = await Rings.open({ dir: config.ringDir, hash: { prefix: config.hashPathPrefix, suffix: config.hashPathSuffix } });
  rings.watch(config.ringReloadIntervalMs, logger);
  const client = new StorageClient({ connTimeoutMs: config.connTimeoutMs, nodeTimeoutMs: config.nodeTimeoutMs });
  const ctx = createProxyContext({ config, rings, client, logger });
  const handler = createPipeline(ctx);

  // The same auth as the pipeline's middleware (memoized per context); undefined when auth is off.
  const auth = proxyAuthFor(ctx);
  const authEndpoint: AuthEndpoint | undefined = auth ? (req) => auth.handleAuthRequest(req.headers) : undefined;
  const http = await startProxyHttp({ config, logger, handler, authEndpoint });
  const grpc = config.grpcListen ? await startObjectGrpc(handler, { grpcListen: config.grpcListen }, logger) : null;

  drainOnSignals(logger, async () => {
    await Promise.all([http.stop(), grpc?.stop()]);
    auth?.stop();
    rings.close();
    client.close();
  });
  // Test harnesses and the all-in-one start wait for this line to learn the ports (listen may be :0).
  process.stdout.write(JSON.stringify({ ready: true, port: http.port, grpcPort: grpc ? grpc.port : null }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`weft-object-proxy: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
