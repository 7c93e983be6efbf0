/**
 * The feed's list-then-watch logic against a scripted in-memory controller: a compacted log
 * (OUT_OF_RANGE) leads to a re-list, a broken stream resumes from the last applied revision, and
 * a listing replayed under newer events converges.
 */
import { EventEmitter } from 'node:events';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Port } from '../../../proto/gen/weft/network/v1/resources';
import { ResourceType, type WatchResponse } from '../../../proto/gen/weft/network/v1/network_service';
import { StateCache } from '../../../dataplane/agent/cache';
import { Feed } from '../../../dataplane/agent/feed';
import type { NetworkApi } from '../../../services/runtime/client/network-client';
import type { Logger } from '../../../services/runtime/log';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

class FakeStream extends EventEmitter {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
    const err = Object.assign(new Error('cancelled'), { code: status.CANCELLED, details: 'cancelled', metadata: new Metadata() }) as ServiceError;
    this.emit('error', err);
  }
}

/** A controller holding ports, whose Watch behaviour each test scripts. */
class FakeController {
  revision = 0;
  ports = new Map<string, Port>();
  watches: { from: number; stream: FakeStream }[] = [];
  lists = 0;

  put(id: string, name: string): WatchResponse {
    const prev = this.ports.get(id);
    const port = Port.fromPartial({ id, name, revisionNumber: (prev?.revisionNumber ?? 0) + 1 });
    this.ports.set(id, port);
    this.revision++;
    return { revision: this.revision, changes: [{ resourceType: ResourceType.RESOURCE_TYPE_PORT, id, projectId: '', deleted: false, value: { $case: 'port', value: port } }] };
  }

  api(): NetworkApi {
    const empty = { nextPageToken: '' };
    return {
      getRevision: async () => ({ revision: this.revision, oldestRevision: 1 }),
      listNetworks: async () => ({ ...empty, networks: [] }),
      listSubnets: async () => ({ ...empty, subnets: [] }),
      listSecurityGroups: async () => ({ ...empty, securityGroups: [] }),
      listPorts: async () => {
        this.lists++;
        return { ...empty, ports: [...this.ports.values()] };
      },
      watch: (req: { fromRevision?: number }) => {
        const stream = new FakeStream();
        this.watches.push({ from: req.fromRevision ?? 0, stream });
        return stream;
      },
    } as unknown as NetworkApi;
  }
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Feed', () => {
  let feed: Feed | undefined;
  afterEach(() => feed?.stop());

  test('lists, then watches from the next revision and applies events', async () => {
    const ctl = new FakeController();
    ctl.put('a', 'one');
    const cache = new StateCache();
    let changes = 0;
    feed = new Feed({ api: () => ctl.api(), cache, logger: quiet, onChange: () => changes++ });
    feed.start();
    await feed.synced();
    await until(() => ctl.watches.length === 1);
    expect(ctl.watches[0].from).toBe(2);
    ctl.watches[0].stream.emit('data', ctl.put('a', 'two'));
    expect(cache.ports.get('a')!.name).toBe('two');
    expect(cache.revision).toBe(2);
    expect(changes).toBe(2);
  });

  test('a compacted log (OUT_OF_RANGE) triggers a re-list, not a crash', async () => {
    const ctl = new FakeController();
    ctl.put('a', 'one');
    const cache = new StateCache();
    feed = new Feed({ api: () => ctl.api(), cache, logger: quiet, onChange: () => undefined });
    feed.start();
    await until(() => ctl.watches.length === 1);
    // Changes the agent never saw, then the log no longer reaches back to them.
    ctl.put('b', 'missed');
    ctl.put('a', 'changed');
    const err = Object.assign(new Error('compacted'), { code: status.OUT_OF_RANGE, details: 'compacted', metadata: new Metadata() }) as ServiceError;
    ctl.watches[0].stream.emit('error', err);
    await until(() => ctl.watches.length === 2);
    expect(ctl.lists).toBe(2);
    expect(feed.relists).toBe(2);
    expect(cache.ports.get('b')!.name).toBe('missed');
    expect(cache.ports.get('a')!.name).toBe('changed');
    expect(ctl.watches[1].from).toBe(4);
  });

  test('a broken stream resumes from the last applied revision without listing again', async () => {
    const ctl = new FakeController();
    const cache = new StateCache();
    feed = new Feed({ api: () => ctl.api(), cache, logger: quiet, onChange: () => undefined });
    feed.start();
    await until(() => ctl.watches.length === 1);
    ctl.watches[0].stream.emit('data', ctl.put('a', 'x'));
    const err = Object.assign(new Error('gone'), { code: status.UNAVAILABLE, details: 'controller restarting', metadata: new Metadata() }) as ServiceError;
    ctl.watches[0].stream.emit('error', err);
    await until(() => ctl.watches.length === 2);
    expect(ctl.watches[1].from).toBe(2);
    expect(ctl.lists).toBe(1);
    // A repeat of an applied revision after the resume is ignored.
    const stale = { revision: 1, changes: [{ resourceType: ResourceType.RESOURCE_TYPE_PORT, id: 'a', projectId: '', deleted: true, value: { $case: 'port' as const, value: ctl.ports.get('a')! } }] };
    ctl.watches[1].stream.emit('data', stale);
    expect(cache.ports.has('a')).toBe(true);
  });
});
