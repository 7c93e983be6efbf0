/**
 * DELETE /<device>/<partition>/<account>/<container>/<object>: writes a tombstone at X-Timestamp.
 *
 * As in Swift, the tombstone is recorded even when there was no object (404), so a DELETE that
 * reaches this replica before the PUT it overrides still wins when that PUT arrives later; an
 * expired object also answers 404 (and is deleted). The expirer's DELETE carries
 * `X-If-Delete-At`: unless the object is there and still expires at that time, it is refused
 * with 412 and nothing is written (the object was overwritten or re-posted meanwhile). The
 * object's expirer index entry goes with it.
 */
import { containerTargetFrom } from './container-update';
import { currentExpiry, ifDeleteAt } from './delete-at';
import type { ObjectHandler } from './handler-context';
import { requireTimestamp } from './request-headers';
import { sendStatus } from './respond';

export const handleDelete: ObjectHandler = async (ctx, ref) => {
  const timestamp = requireTimestamp(ctx.req);
  const target = containerTargetFrom(ctx.req);
  const expected = ifDeleteAt(ctx.req);
  const file = ctx.store.object(ref);
  const current = await currentExpiry(file, ctx.now());
  if (expected !== undefined && (current.kind !== 'found' || current.deleteAt !== expected)) {
    return sendStatus(ctx.res, 412, 'Precondition Failed');
  }
  const outcome = await file.delete(timestamp);
  // The tombstone is written either way, so the container row is deleted either way (as in Swift).
  if (target) ctx.log.containerUpdate = await ctx.updater.update(ref, target, 'DELETE', { 'X-Timestamp': timestamp.internal }, ctx.transId);
  if (current.deleteAt !== undefined) await ctx.expiring.remove(ref.device, current.deleteAt, file.hash).catch(() => false);
  const status = outcome.previous === 'data' && !current.expired ? 204 : 404;
  sendStatus(ctx.res, status, status === 404 ? 'Not Found' : '', { 'X-Backend-Timestamp': timestamp.internal });
};
