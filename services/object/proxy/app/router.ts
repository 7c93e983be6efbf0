/**
 * The app at the end of the pipeline: sends each request to the controller for its path shape
 * (account, container, object), and maps whatever a controller throws to an answer: a storage
 * server we could not reach becomes 503, anything unexpected a 500 that names only the
 * transaction id (the details go to the log).
 */
import { BackendError } from '../backend/backend-error';
import type { ProxyContext } from './context';
import { textResponse } from './responses';
import type { Handler, ProxyRequest, ProxyResponse } from './types';

export type Controller = (ctx: ProxyContext, req: ProxyRequest) => Promise<ProxyResponse>;

export interface Controllers {
  /** Absent until its module is wired (the router then answers 501). */
  account?: Controller;
  container?: Controller;
  object?: Controller;
}

export type PathShape = 'account' | 'container' | 'object';

export function pathShape(req: Pick<ProxyRequest, 'container' | 'object'>): PathShape {
  if (req.container === undefined) return 'account';
  return req.object === undefined ? 'container' : 'object';
}

export function createRouter(ctx: ProxyContext, controllers: Controllers): Handler {
  return async (req) => {
    const controller = controllers[pathShape(req)];
    if (!controller) return textResponse(501, `${pathShape(req)} requests are not implemented yet`);
    try {
      return await controller(ctx, req);
    } catch (err) {
      if (err instanceof BackendError) {
        ctx.logger.warn('storage servers unavailable', { txId: req.transId, code: err.code, error: err.message });
        return textResponse(503);
      }
      ctx.logger.error('request failed', { txId: req.transId, method: req.method, error: err });
      return textResponse(500, `An error occurred (${req.transId})`);
    }
  };
}
