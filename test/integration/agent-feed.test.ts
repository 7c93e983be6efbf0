/**
 * The agent's feed against a real controller whose change log keeps only 10 revisions: an agent
 * cut off while more than that happens resumes, gets OUT_OF_RANGE, re-lists, and ends up with
 * exactly the controller's state (no crash, no stale ports).
 */
import { StateCache } from '../../dataplane/agent/cache';
import { Feed } from '../../dataplane/agent/feed';
import { connectNetwork, type NetworkApi } from '../../services/runtime/client/network-client';
import type { Logger } from '../../services/runtime/log';
import { startController, type ControllerHandle } from './harness';

const warnings: string[] = [];
const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined, child: () => logger };

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('agent feed against a compacting controller', () => {
  let h: ControllerHandle;
  let feed: Feed | undefined;
  const clients: NetworkApi[] = [];
  beforeAll(async () => {
    h = await startController({ config: { store: { changeLogRetain: 10 } } });
  }, 60_000);
  afterAll(async () => {
    feed?.stop();
    for (const c of clients) c.close();
    await h?.stop();
  });

  test('cut off past the log, the feed re-lists and converges', async () => {
    const token = await h.token('feed', ['service']);
    let reachable = true;
    const api = (): NetworkApi => {
      // While "cut off", calls go to a port nobody listens on (loopback, refused at once).
      const c = connectNetwork(reachable ? h.address : '127.0.0.1:1', { token });
      clients.push(c);
      return c;
    };
    const cache = new StateCache();
    feed = new Feed({ api, cache, logger, onChange: () => undefined });
    const tenant = h.as('p-feed');
    const net = await tenant.createNetwork({ network: { name: 'feed' } });
    feed.start();
    await feed.synced();
    await until(() => cache.networks.has(net.id));
    expect(feed.relists).toBe(1);

    reachable = false;
    // Break the live stream the way a controller restart would: restart it. While it is down and
    // while the feed points nowhere, enough revisions pass for the log to be compacted (it keeps
    // 10, compacting once 20 more have piled up).
    await h.restart();
    const created: string[] = [];
    for (let i = 0; i < 30; i++) created.push((await tenant.createNetwork({ network: { name: `n${i}` } })).id);
    await tenant.deleteNetwork({ id: net.id });
    reachable = true;

    await until(() => feed!.relists >= 2 && created.every((id) => cache.networks.has(id)) && !cache.networks.has(net.id)).catch((e: Error) => {
      throw new Error(`${e.message}: relists ${feed!.relists}, revision ${cache.revision}, networks ${cache.networks.size}, warnings ${JSON.stringify(warnings)}`);
    });
    expect(warnings.some((w) => /compacted/.test(w))).toBe(true);
    // And it keeps following after the re-list.
    const late = await tenant.createNetwork({ network: { name: 'late' } });
    await until(() => cache.networks.has(late.id));
  }, 60_000);
});
