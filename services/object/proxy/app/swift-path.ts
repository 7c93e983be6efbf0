/**
 * Parsing the public request target `/v1/<account>[/<container>[/<object>]]` (Swift's
 * split_path with rest_with_last): the path is percent-decoded as UTF-8 first, then split; the
 * object name is everything after the container, '/' included. Names are not validated here
 * (lengths, '/' rules): the controllers do that, with Swift's messages.
 */
import { decodePathPart } from '../../common/names';

export type SwiftPath =
  | { kind: 'api'; version: string; account: string; container?: string; object?: string; query: string }
  /** Swift's 412 for paths it cannot even decode. */
  | { kind: 'invalid'; status: number; message: string }
  /** Not an API path (the caller answers 404 or serves it itself). */
  | { kind: 'other'; path: string; query: string };

/** API versions Swift accepts (/info lists them as valid_api_versions). */
export const API_VERSIONS: readonly string[] = ['v1', 'v1.0'];

export function parseSwiftPath(target: string): SwiftPath {
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const query = q >= 0 ? target.slice(q + 1) : '';
  const decoded = decodePathPart(rawPath);
  if (decoded === undefined || decoded.includes('\u0000')) return { kind: 'invalid', status: 412, message: 'Invalid UTF8 or contains NULL' };
  if (!decoded.startsWith('/')) return { kind: 'invalid', status: 400, message: 'Invalid path' };
  const segments = decoded.slice(1).split('/');
  const version = segments[0];
  if (!API_VERSIONS.includes(version)) return { kind: 'other', path: decoded, query };
  const account = segments[1] ?? '';
  if (account === '') return { kind: 'invalid', status: 412, message: 'Invalid path' };
  const container = segments[2] ?? '';
  const object = segments.slice(3).join('/');
  // `/v1/a/` and `/v1/a/c/` are the account and the container (Swift ignores the trailing slash).
  if (container === '') {
    if (object !== '') return { kind: 'invalid', status: 412, message: 'Invalid path' };
    return { kind: 'api', version, account, query };
  }
  if (object === '') return { kind: 'api', version, account, container, query };
  return { kind: 'api', version, account, container, object, query };
}
