/**
 * Parses the internal request path `/<device>/<partition>/<account>[/<container>[/<object>]]`.
 *
 * Like Swift, the whole path is percent-decoded first and then split: the object name is
 * everything after the container, '/' included. (The proxy quotes names, and container names
 * cannot hold '/', so decoding first never changes where the object name starts.) The query
 * string is ignored.
 */
import {
  accountNameProblem,
  containerNameProblem,
  decodePathPart,
  deviceNameProblem,
  objectNameProblem,
  partitionProblem,
} from '../../common/names';

export interface StoragePath {
  device: string;
  partition: string;
  account: string;
  container?: string;
  object?: string;
}

export type PathResult = { ok: true; path: StoragePath } | { ok: false; problem: string };

export function parseStoragePath(url: string): PathResult {
  const q = url.indexOf('?');
  const decoded = decodePathPart(q >= 0 ? url.slice(0, q) : url);
  if (decoded === undefined) return { ok: false, problem: 'path is not valid percent-encoded UTF-8' };
  if (!decoded.startsWith('/')) return { ok: false, problem: 'path must start with /' };
  const parts = decoded.slice(1).split('/');
  if (parts.length < 3) return { ok: false, problem: 'path must be /<device>/<partition>/<account>[/<container>[/<object>]]' };
  const [device, partition, account] = parts;
  const problem = deviceNameProblem(device) ?? partitionProblem(partition) ?? accountNameProblem(account);
  if (problem) return { ok: false, problem };
  if (parts.length === 3) return { ok: true, path: { device, partition, account } };
  const container = parts[3];
  const cProblem = containerNameProblem(container);
  if (cProblem) return { ok: false, problem: cProblem };
  if (parts.length === 4) return { ok: true, path: { device, partition, account, container } };
  const object = parts.slice(4).join('/');
  const oProblem = objectNameProblem(object);
  if (oProblem) return { ok: false, problem: oProblem };
  return { ok: true, path: { device, partition, account, container, object } };
}
