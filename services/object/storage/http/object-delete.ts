/**
 * DELETE /<device>/<partition>/<account>/<container>/<object>: writes a tombstone at X-Timestamp.
 *
 * As in Swift, the tombstone is recorded even when there was no object (404), so a DELETE that
 * reaches this replica before the PUT it overrides still wins when that PUT arrives later.
 */
import type { ObjectHandler } from './handler-context';
import { requireTimestamp } from './request-headers';
import { sendStatus } from './respond';

export const handleDelete: ObjectHandler = async (ctx, ref) => {
  const timestamp = requireTimestamp(ctx.req);
  const outcome = await ctx.store.object(ref).delete(timestamp);
  const status = outcome.previous === 'data' ? 204 : 404;
  sendStatus(ctx.res, status, status === 404 ? 'Not Found' : '', { 'X-Backend-Timestamp': timestamp.internal });
};
