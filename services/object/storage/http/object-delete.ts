/**
 * DELETE /<device>/<partition>/<account>/<container>/<object>: writes a tombstone at X-Timestamp.
 *
 * As in Swift, the tombstone is recorded even when there was no object (404), so a DELETE that
 * reaches this replica before the PUT it overrides still wins when that PUT arrives later.
 */
import { containerTargetFrom } from './container-update';
import type { ObjectHandler } from './handler-context';
import { requireTimestamp } from './request-headers';
import { sendStatus } from './respond';

export const handleDelete: ObjectHandler = async (ctx, ref) => {
  const timestamp = requireTimestamp(ctx.req);
  const target = containerTargetFrom(ctx.req);
  const outcome = await ctx.store.object(ref).delete(timestamp);
  // The tombstone is written either way, so the container row is deleted either way (as in Swift).
  if (target) ctx.log.containerUpdate = await ctx.updater.update(ref, target, 'DELETE', { 'X-Timestamp': timestamp.internal }, ctx.transId);
  const status = outcome.previous === 'data' ? 204 : 404;
  sendStatus(ctx.res, status, status === 404 ? 'Not Found' : '', { 'X-Backend-Timestamp': timestamp.internal });
};
