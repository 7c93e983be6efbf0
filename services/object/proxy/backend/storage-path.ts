/**
 * The internal request path `/<device>/<partition>/<account>[/<container>[/<object>]]`, with
 * each name percent-encoded (UTF-8). The storage server decodes the whole path before splitting
 * it, and only object names may hold '/', so object slashes are kept readable.
 */
export interface StoragePathParts {
  device: string;
  partition: number;
  account: string;
  container?: string;
  object?: string;
}

export function encodeName(name: string): string {
  return encodeURIComponent(name);
}

export function storagePath(p: StoragePathParts): string {
  let out = `/${encodeName(p.device)}/${p.partition}/${encodeName(p.account)}`;
  if (p.container !== undefined) out += `/${encodeName(p.container)}`;
  if (p.object !== undefined) out += `/${encodeName(p.object).replace(/%2F/g, '/')}`;
  return out;
}
