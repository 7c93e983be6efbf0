/**
 * POST /<device>/<partition>/<account>/<container>/<object>: replaces the user metadata and
 * allowed headers (and the content type when given) as of X-Timestamp, by writing a `<ts>.meta`
 * file beside the `.data` (the body is not rewritten). System metadata cannot be changed this way.
 * A missing or deleted object is 404 and nothing is written.
 */
import { metadataProblem } from '../../common/metadata-limits';
import { storedHeadersFrom } from '../../common/object-headers';
import type { ObjectHandler } from './handler-context';
import { HttpError } from './http-error';
import { requireTimestamp, singleHeader } from './request-headers';
import { sendStatus } from './respond';

export const handlePost: ObjectHandler = async (ctx, ref) => {
  const timestamp = requireTimestamp(ctx.req);
  const { replaceable } = storedHeadersFrom(ctx.req.headers);
  const problem = metadataProblem(replaceable);
  if (problem) throw new HttpError(400, problem);
  await ctx.store.object(ref).post(timestamp, { contentType: singleHeader(ctx.req, 'content-type') || undefined, headers: replaceable });
  sendStatus(ctx.res, 202, '', { 'X-Backend-Timestamp': timestamp.internal });
};
