/**
 * The endpoint catalog over the API: admins register and delete endpoints, anyone with a token
 * lists them (every token response carries them too). Endpoints a deployment declares in its
 * config are published at start by ../catalog.ts instead.
 */
import type * as M from '../../../proto/gen/weft/identity/v1/identity_service';
import { Endpoint } from '../../../proto/gen/weft/identity/v1/resources';
import { Violations } from '../../../controller/domain/validate';
import type { Caller } from '../../runtime/caller';
import { notFound } from '../../runtime/errors';
import type { IdentityState } from '../state';
import { refuseBadId } from './refuse-bad-id';

export interface EndpointDeps {
  state: IdentityState;
  authorize(action: string, c: Caller, target?: Record<string, unknown>): void;
}

/** Service types name kinds of service: "network", "object-store", ... */
const SERVICE_TYPE_RE = /^[a-z][a-z0-9-]{0,31}$/;
const CONTROL = /[\u0000-\u001f]/;

export function endpointHandlers(d: EndpointDeps) {
  const { state } = d;

  const register = async (r: M.RegisterEndpointRequest, c: Caller): Promise<Endpoint> => {
    d.authorize('register_endpoint', c);
    const e = r.endpoint ?? Endpoint.fromPartial({});
    const v = new Violations();
    v.check(SERVICE_TYPE_RE.test(e.serviceType), 'endpoint.service_type', 'must be a lowercase service type like "network"');
    v.check(e.address.length > 0 && e.address.length <= 255, 'endpoint.address', 'is required');
    v.check(!CONTROL.test(e.address), 'endpoint.address', 'must not contain control characters');
    v.name('endpoint.service_name', e.serviceName);
    v.name('endpoint.region', e.region);
    v.check(['public', 'internal', 'admin', ''].includes(e.interface), 'endpoint.interface', 'must be public, internal or admin');
    v.throwIfAny();
    return state.mutate((txn) => {
      const ep: Endpoint = { ...e, id: state.uuid(), interface: e.interface || 'public', region: e.region || 'RegionOne', createdAt: state.now() };
      state.endpoints.put(txn, ep);
      return ep;
    });
  };

  const list = async (r: M.ListEndpointsRequest, c: Caller): Promise<M.ListEndpointsResponse> => {
    d.authorize('list_endpoints', c);
    const v = new Violations();
    if (r.serviceType) v.check(SERVICE_TYPE_RE.test(r.serviceType), 'service_type', 'must be a lowercase service type like "network"');
    v.name('region', r.region);
    v.throwIfAny();
    await state.settled();
    const endpoints = [...state.endpoints.all(state.kv)].filter((e) => (!r.serviceType || e.serviceType === r.serviceType) && (!r.region || e.region === r.region));
    return { endpoints };
  };

  const remove = async (r: M.DeleteEndpointRequest, c: Caller): Promise<M.DeleteEndpointResponse> => {
    d.authorize('delete_endpoint', c);
    refuseBadId(r.id);
    await state.mutate((txn) => {
      const e = state.endpoints.get(txn, r.id);
      if (!e) throw notFound('endpoint', r.id);
      state.endpoints.delete(txn, e);
    });
    return {};
  };

  return { register, list, remove };
}
