/**
 * The revocation feed every validating process follows (list-then-watch): ListRevocationEvents
 * gives the events in force and the revision they are current at, WatchRevocationEvents streams
 * what commits after it (OUT_OF_RANGE once that revision is compacted away: list again).
 */
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import type { Caller } from '../../runtime/caller';
import { followChangeLog } from '../../runtime/store/follow';
import type { IdentityState } from '../state';

export interface RevocationFeedDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
}

export function revocationFeedHandlers(d: RevocationFeedDeps) {
  const { state } = d;

  const list = async (_r: M.ListRevocationEventsRequest, c: Caller): Promise<M.ListRevocationEventsResponse> => {
    d.authorize('list_revocation_events', c);
    await state.settled();
    return { events: state.revocations.all(), revision: state.feed.revision };
  };

  const watch = async (r: M.WatchRevocationEventsRequest, c: Caller, stream: { send(m: M.WatchRevocationEventsResponse): Promise<void>; signal: AbortSignal }): Promise<void> => {
    d.authorize('watch_revocation_events', c);
    await followChangeLog(state.feed, { fromRevision: r.fromRevision, signal: stream.signal, settled: () => state.settled(), send: stream.send });
  };

  return { list, watch };
}
