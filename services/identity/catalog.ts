/**
 * Catalog entries the deployment declares (config `bootstrap.endpoints`), made true at every start:
 * one endpoint per (service type, region, interface), its address updated when it changed.
 * Lets an all-in-one node publish its services without an admin step.
 */
import type { Endpoint } from '../../proto/gen/weft/identity/v1/resources';
import type { IdentityState } from './state';

export interface DeclaredEndpoint {
  serviceType: string;
  serviceName: string;
  address: string;
  region: string;
  interface: string;
}

export async function ensureEndpoints(state: IdentityState, declared: readonly DeclaredEndpoint[]): Promise<number> {
  await state.settled();
  return state.mutate((txn) => {
    let changed = 0;
    const existing = [...state.endpoints.all(state.kv)];
    for (const d of declared) {
      const cur = existing.find((e) => e.serviceType === d.serviceType && e.region === d.region && e.interface === d.interface);
      if (cur && cur.address === d.address && cur.serviceName === d.serviceName) continue;
      const next: Endpoint = cur ? { ...cur, address: d.address, serviceName: d.serviceName } : { id: state.uuid(), ...d, createdAt: state.now() };
      state.endpoints.put(txn, next, cur);
      changed++;
    }
    return changed;
  });
}
