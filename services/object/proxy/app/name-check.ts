/**
 * The first middleware: names that no layer could store are refused before anything (auth,
 * quotas, container lookups) spends a round trip on them. Lengths are Swift's, in UTF-8 bytes,
 * with Swift's messages; both faces get the same answer.
 */
import { MAX_ACCOUNT_NAME_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_OBJECT_NAME_LENGTH } from '../../common/names';
import { plainResponse } from './responses';
import type { Middleware, ProxyRequest } from './types';
import type { Refusal } from '../controllers/object-rules';

function lengthProblem(kind: string, name: string, max: number): Refusal | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  return bytes > max ? { status: 400, message: `${kind} name length of ${bytes} longer than ${max}` } : undefined;
}

/** A refusal for names too long (or holding NUL / lone surrogates), else undefined. */
export function namesProblem(req: Pick<ProxyRequest, 'account' | 'container' | 'object'>): Refusal | undefined {
  for (const n of [req.account, req.container, req.object]) {
    if (n !== undefined && (n.includes('\u0000') || Buffer.from(n, 'utf8').toString('utf8') !== n)) return { status: 412, message: 'Invalid UTF8 or contains NULL' };
  }
  return (
    lengthProblem('Account', req.account, MAX_ACCOUNT_NAME_LENGTH) ??
    (req.container !== undefined ? lengthProblem('Container', req.container, MAX_CONTAINER_NAME_LENGTH) : undefined) ??
    (req.object !== undefined ? lengthProblem('Object', req.object, MAX_OBJECT_NAME_LENGTH) : undefined)
  );
}

export const nameCheck: Middleware = (next) => async (req) => {
  const problem = namesProblem(req);
  return problem ? plainResponse(problem.status, problem.message) : next(req);
};
