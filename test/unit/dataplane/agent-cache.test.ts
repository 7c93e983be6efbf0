import { Port } from '../../../proto/gen/weft/network/v1/resources';
import { ResourceType } from '../../../proto/gen/weft/network/v1/network_service';
import { StateCache } from '../../../dataplane/agent/cache';

const p = (id: string, rev: number, name = '') => Port.fromPartial({ id, revisionNumber: rev, name });
const ev = (revision: number, port: Port, deleted = false) => ({
  revision,
  changes: [{ resourceType: ResourceType.RESOURCE_TYPE_PORT, id: port.id, projectId: '', deleted, value: { $case: 'port' as const, value: port } }],
});

describe('StateCache', () => {
  test('a listing replaces everything and sets the revision', () => {
    const c = new StateCache();
    c.apply(ev(1, p('a', 1)));
    c.replaceAll({ revision: 10, networks: [], subnets: [], ports: [p('b', 3)], securityGroups: [] });
    expect([...c.ports.keys()]).toEqual(['b']);
    expect(c.revision).toBe(10);
  });

  test('an older event replayed over a newer listing does not regress the resource', () => {
    const c = new StateCache();
    c.replaceAll({ revision: 10, networks: [], subnets: [], ports: [p('a', 5, 'new')], securityGroups: [] });
    expect(c.apply(ev(8, p('a', 4, 'old')))).toBe(false);
    expect(c.ports.get('a')!.name).toBe('new');
    expect(c.apply(ev(11, p('a', 6, 'newer')))).toBe(true);
    expect(c.ports.get('a')!.name).toBe('newer');
    expect(c.revision).toBe(11);
  });

  test('deletes are applied; deleting an unknown resource changes nothing', () => {
    const c = new StateCache();
    c.apply(ev(1, p('a', 1)));
    expect(c.apply(ev(2, p('a', 1), true))).toBe(true);
    expect(c.ports.size).toBe(0);
    expect(c.apply(ev(3, p('zz', 1), true))).toBe(false);
  });
});
