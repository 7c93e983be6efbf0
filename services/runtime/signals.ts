/**
 * How every Weft process ends on SIGTERM/SIGINT: log once, run its own stop (draining in-flight
 * work), then exit 0, or 1 when the stop failed. A second signal while stopping is ignored (the
 * supervisor's SIGKILL is the way to cut a stop short).
 */
import type { Logger } from './log';

export interface DrainOptions {
  /** The log line when the signal arrives (default 'draining'). */
  message?: string;
  /** Extra fields for that line, read when the signal arrives. */
  fields?: () => Record<string, unknown>;
}

export function drainOnSignals(logger: Logger, stop: () => Promise<unknown>, opts: DrainOptions = {}): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info(opts.message ?? 'draining', { signal, ...opts.fields?.() });
    stop().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error('unclean stop', { error: err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
