/**
 * Paging for the List RPCs (AIP-158): page_size must not be negative, and a page_token is only
 * valid with the filters it was issued for (replaying it with other filters is INVALID_ARGUMENT
 * rather than a silently different list). Both problems join the violations the handler already
 * found in its filters, so a caller learns every bad field in one round trip.
 */
import { decodePageToken, encodePageToken, pageSize } from '../../../controller/api/paging';
import type { Violations } from '../../../controller/domain/validate';
import { WeftError } from '../../runtime/errors';
import type { Identified, Table } from '../../runtime/store/table';
import type { IdentityState } from '../state';

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

/**
 * Reads page_size and page_token into `v`; when `v` holds no violation afterwards the returned
 * limit and position are good to use. `valid` checks the position a token carries (an id unless
 * the list orders by something else).
 */
export function pageCursor(v: Violations, req: PageRequest, filters: unknown, valid?: RegExp): { limit: number; afterId?: string } {
  const sizeOk = v.check(req.pageSize >= 0, 'page_size', 'must not be negative');
  let afterId: string | undefined;
  try {
    afterId = decodePageToken(req.pageToken, filters, valid);
  } catch (err) {
    if (!(err instanceof WeftError) || !err.details.fieldViolations) throw err;
    for (const f of err.details.fieldViolations) v.add(f.field, f.description);
  }
  return { limit: sizeOk ? pageSize(req.pageSize) : 0, afterId };
}

export interface PageQuery<T extends Identified> {
  /** Everything that narrows the list: a token is only valid for the same values. */
  filters: Record<string, unknown>;
  /** The on-disk index to walk (it sets the order). */
  index: { name: string; value: string };
  match(record: T): boolean;
  /** What the handler found wrong with its filters; paging problems are added, then thrown. */
  violations: Violations;
}

/** One page of a table, in index order, or INVALID_ARGUMENT naming every bad field. */
export async function pagedList<T extends Identified>(state: IdentityState, table: Table<T>, req: PageRequest, q: PageQuery<T>): Promise<{ items: T[]; next: string }> {
  const { limit, afterId } = pageCursor(q.violations, req, q.filters);
  q.violations.throwIfAny();
  await state.settled();
  const { items, lastId } = await table.page(state.kv, { index: q.index, afterId, limit, match: q.match });
  return { items, next: lastId ? encodePageToken(lastId, q.filters) : '' };
}
