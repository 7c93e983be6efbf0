/**
 * POST /<device>/<partition>/<account>/<container>/<object>: replaces the user metadata and
 * allowed headers (and the content type when given) as of X-Timestamp, by writing a `<ts>.meta`
 * file beside the `.data` (the body is not rewritten). System metadata cannot be changed this way.
 * A missing, deleted or expired object is 404 and nothing is written. Since a POST replaces the
 * allowed headers as a whole, one without X-Delete-At ends the object's expiry (its expirer
 * index entry is removed); one with X-Delete-At in the past is refused (400).
 */
import { metadataProblem } from '../../common/metadata-limits';
import { storedHeadersFrom } from '../../common/object-headers';
import { currentExpiry, bypassesExpiry, requestDeleteAt } from './delete-at';
import type { ObjectHandler } from './handler-context';
import { HttpError } from './http-error';
import { requireTimestamp, singleHeader } from './request-headers';
import { sendStatus } from './respond';

export const handlePost: ObjectHandler = async (ctx, ref) => {
  const timestamp = requireTimestamp(ctx.req);
  const { replaceable } = storedHeadersFrom(ctx.req.headers);
  const problem = metadataProblem(replaceable);
  if (problem) throw new HttpError(400, problem);
  const deleteAt = requestDeleteAt(ctx.req, ctx.now());
  const file = ctx.store.object(ref);
  const current = await currentExpiry(file, ctx.now());
  if (current.expired && !bypassesExpiry(ctx.req)) throw new HttpError(404, 'Not Found');
  if (deleteAt !== undefined) await ctx.expiring.add(ref.device, file.hash, { account: ref.account, container: ref.container, object: ref.object, partition: ref.partition, deleteAt });
  await file.post(timestamp, { contentType: singleHeader(ctx.req, 'content-type') || undefined, headers: replaceable });
  if (current.deleteAt !== undefined && current.deleteAt !== deleteAt) await ctx.expiring.remove(ref.device, current.deleteAt, file.hash).catch(() => false);
  sendStatus(ctx.res, 202, '', { 'X-Backend-Timestamp': timestamp.internal });
};
