/**
 * The server an update goes to, as the proxy names it in request headers: `X-Container-Host`,
 * `-Device`, `-Partition` on object writes (the container row), `X-Account-Host`, `-Device`,
 * `-Partition` on container writes (the account row). All three or none: a partial or malformed
 * set is refused with 400 before anything is written.
 */
import { HttpError } from './http-error';
import { singleHeader, type HeaderSource } from './request-headers';

export interface UpdateTarget {
  host: string;
  port: number;
  device: string;
  partition: string;
}

/** The target named by `X-<Kind>-Host/-Device/-Partition`; undefined when none is given. */
export function updateTargetFrom(req: HeaderSource, kind: 'Container' | 'Account'): UpdateTarget | undefined {
  const lower = kind.toLowerCase();
  const host = singleHeader(req, `x-${lower}-host`)?.trim();
  const device = singleHeader(req, `x-${lower}-device`)?.trim();
  const partition = singleHeader(req, `x-${lower}-partition`)?.trim();
  if (host === undefined && device === undefined && partition === undefined) return undefined;
  if (!host || !device || !partition) throw new HttpError(400, `X-${kind}-Host, X-${kind}-Device and X-${kind}-Partition go together`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(host);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new HttpError(400, `X-${kind}-Host must be ip:port`);
  if (device.includes('/') || device === '.' || device === '..') throw new HttpError(400, `Invalid X-${kind}-Device`);
  if (!/^\d{1,10}$/.test(partition)) throw new HttpError(400, `Invalid X-${kind}-Partition`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), device, partition };
}
