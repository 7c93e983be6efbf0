/**
 * The proxy's request pipeline, shared by the HTTP and gRPC faces:
 *
 *   auth → quota → SLO → router → account / container / object controllers
 *
 * (healthcheck, /info and /auth/v1.0 are served by the HTTP face before the pipeline.)
 */
import type { ProxyContext } from './app/context';
import { type Controllers, createRouter } from './app/router';
import { nameCheck } from './app/name-check';
import { compose, type Handler, type Middleware } from './app/types';
import { handleAccount } from './controllers/account';
import { handleContainer } from './controllers/container';
import { handleObject } from './controllers/object';
import { authMiddleware } from './auth/proxy-auth';
import { createQuotaMiddleware } from './middleware/quota';
import { createSloMiddleware } from './middleware/slo';

/** The controllers by path shape. */
export function defaultControllers(): Controllers {
  return {
    account: handleAccount,
    container: handleContainer,
    object: handleObject,
  };
}

export function createPipeline(ctx: ProxyContext, controllers: Controllers = defaultControllers()): Handler {
  const middleware: Middleware[] = [
    // Names no layer could store are refused before any lookup (proxy-core).
    nameCheck,
    // ---- middleware, first sees the request first (proxy-auth adds exactly these, in order) ----
    authMiddleware(ctx),
    createQuotaMiddleware(ctx),
    createSloMiddleware(ctx),
    // ---- end of middleware ----
  ];
  return compose(middleware, createRouter(ctx, controllers));
}
