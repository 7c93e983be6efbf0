/**
 * The object controller: `/v1/<account>/<container>/<object>`. Checks the names, then hands
 * the request to the method's module (object-get, object-put, object-write), or to
 * object-copy for `PUT` with `X-Copy-From` and `COPY`.
 */
import type { ProxyContext } from '../app/context';
import { plainResponse, textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { copyObject, planCopy } from './object-copy';
import { getObject } from './object-get';
import { putObject } from './object-put';
import { objectPathProblem } from './object-rules';
import { deleteObject, postObject } from './object-write';

const ALLOWED = 'COPY, DELETE, GET, HEAD, POST, PUT';

export async function handleObject(ctx: ProxyContext, req: ProxyRequest): Promise<ProxyResponse> {
  if (req.container === undefined || req.object === undefined) return textResponse(400, 'not an object path');
  const problem = objectPathProblem(req.account, req.container, req.object);
  if (problem) return plainResponse(problem.status, problem.message);
  const names = { account: req.account, container: req.container, object: req.object };
  const copy = planCopy(req);
  if (copy && 'status' in copy) return plainResponse(copy.status, copy.message);
  if (copy) return copyObject(ctx, req, copy);
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return getObject(ctx, req, names);
    case 'PUT':
      return putObject(ctx, req, names);
    case 'DELETE':
      return deleteObject(ctx, req, names);
    case 'POST':
      return postObject(ctx, req, names);
    default:
      return textResponse(405, undefined, { Allow: ALLOWED });
  }
}
