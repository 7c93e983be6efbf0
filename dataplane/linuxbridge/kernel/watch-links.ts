/**
 * Link notifications (RTNLGRP_LINK) on their own socket, so an agent reacts the moment the compute
 * side plugs or unplugs a tap instead of waiting for the next periodic resync.
 *
 * Guarantees: callbacks run for every RTM_NEWLINK / RTM_DELLINK the kernel delivers in this
 * network namespace, in order. Delivery is best effort — when the socket buffer overflows the
 * kernel drops notifications and this reports ENOBUFS through `onError`; the consumer must then
 * re-read everything (level-based reconcile makes that safe). The subscription keeps the process
 * alive until its close function is called.
 */
import { createRtNetlink, rt, type NetlinkMessage } from 'netlink';
import { AF_BRIDGE, decodeLink } from './decode';
import { RtnlError } from './rtnl-error';
import type { LinkWatchHandlers } from './types';

/** Room for bursts (hundreds of taps appearing at once) before the kernel drops notifications. */
const WATCH_RCVBUF = 4 << 20;

export function watchLinks(handlers: LinkWatchHandlers): () => void {
  const sock = createRtNetlink({ ref: true, recvBufferSize: WATCH_RCVBUF, sendBufferSize: 0 });
  const report = (err: Error): void => handlers.onError?.(err);
  sock.socket.on('error', (err) => report(new RtnlError('SOCKET', 'watchLinks', err.message, err.code)));
  sock.socket.on('message', (msgs: NetlinkMessage[]) => {
    for (const m of msgs) {
      const type = m.type === rt.MessageType.NEWLINK ? 'new' : m.type === rt.MessageType.DELLINK ? 'del' : null;
      if (type === null) continue;
      let parsed: rt.LinkMessage;
      try {
        parsed = rt.parseLinkMessage(m.data);
      } catch (err) {
        report(new RtnlError('KERNEL_REJECTED', 'watchLinks', `undecodable link notification: ${(err as Error).message}`));
        continue;
      }
      // The bridge also announces port state changes as AF_BRIDGE link messages; they describe the
      // same device without its kind, so they would only confuse consumers.
      if (parsed.data.family === AF_BRIDGE) continue;
      handlers.onChange({ type, link: decodeLink(parsed) });
    }
  });
  sock.addMembership('LINK');
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    sock.socket.close();
  };
}
