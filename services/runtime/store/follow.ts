/**
 * Serves a ChangeLog as a stream: subscribe to live events first, replay the durable entries from
 * `fromRevision` (0 = only what commits from now on), then deliver live events in order, skipping
 * what the replay already sent. Shared by every Watch-style RPC.
 *
 * OUT_OF_RANGE when `fromRevision` was compacted away (also if compaction races the replay): the
 * consumer lists again and watches from the list's revision + 1. A consumer more than
 * `maxBacklog` events behind is cut off with RESOURCE_EXHAUSTED and resumes from its last revision,
 * so one slow watcher cannot grow the server's memory without bound.
 */
import { outOfRange, resourceExhausted } from '../errors';
import type { ChangeLog } from './changelog';

export interface FollowOptions<E> {
  fromRevision: number;
  signal: AbortSignal;
  /** Delivers one event (the caller may filter what it forwards). */
  send(event: E): Promise<void>;
  /** Waits until everything committed so far is durable (so the replay sees it). */
  settled(): Promise<void>;
  maxBacklog?: number;
}

export async function followChangeLog<E extends { revision: number }>(log: ChangeLog<E>, opts: FollowOptions<E>): Promise<void> {
  const maxBacklog = opts.maxBacklog ?? 10_000;
  const backlog: E[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = log.subscribe((ev) => {
    backlog.push(ev);
    wake?.();
  });
  const onAbort = (): void => wake?.();
  opts.signal.addEventListener('abort', onAbort);
  try {
    await opts.settled();
    let next = opts.fromRevision || log.revision + 1;
    if (next < log.oldest) throw outOfRange(`revision ${next} was compacted; the oldest available is ${log.oldest}; list again and watch from the list's revision + 1`);
    const upto = log.revision;
    for await (const ev of log.replay(next, upto)) {
      if (opts.signal.aborted) return;
      if (ev.revision !== next) throw outOfRange(`revision ${next} was compacted while replaying; list again`);
      await opts.send(ev);
      next = ev.revision + 1;
    }
    if (next <= upto) throw outOfRange(`revisions ${next}..${upto} were compacted while replaying; list again`);
    while (!opts.signal.aborted) {
      if (backlog.length > maxBacklog) throw resourceExhausted(`watcher fell more than ${maxBacklog} revisions behind; resume from revision ${next}`, 'WATCH_TOO_SLOW');
      const ev = backlog.shift();
      if (!ev) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (ev.revision < next) continue;
      await opts.send(ev);
      next = ev.revision + 1;
    }
  } finally {
    unsubscribe();
    opts.signal.removeEventListener('abort', onAbort);
  }
}
