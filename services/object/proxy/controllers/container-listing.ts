/**
 * Reading a container's listing from its replicas: one GET for ordinary listings, and for
 * Swift's `path=` a loop of prefix pages filtered by listing-path.ts (the storage servers do not
 * know `path`), bounded in pages so a pathological container cannot keep a request forever.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ProxyContext } from '../app/context';
import type { ObjectListingItem, SubdirItem } from '../listing-format';
import { filterPathPage } from '../listing-path';
import { storageListingQuery, type ListingQuery } from '../listing-query';
import { parseListingBody, readReplicas } from './container-replicas';

/** Pages a path= listing may read before answering with what it has (clients page on). */
const MAX_PATH_PAGES = 50;

export type ContainerListingRead =
  | {
      found: true;
      headers: IncomingHttpHeaders;
      /** The entries (parsed on demand: JSON answers pass the replica's bytes on instead). */
      items(): Array<ObjectListingItem | SubdirItem>;
      /** The replica's JSON as received, when it is the whole answer (no path= filtering). */
      json?: Buffer;
    }
  | { found: false };

export async function readContainerListing(ctx: ProxyContext, r: { account: string; container: string; query: ListingQuery; transId: string }): Promise<ContainerListingRead> {
  const get = (overrides: Partial<ListingQuery>) =>
    readReplicas(ctx, { layer: 'container', method: 'GET', account: r.account, container: r.container, query: new URLSearchParams(storageListingQuery(r.query, overrides)), transId: r.transId });
  const q = r.query;
  if (q.path === undefined) {
    const read = await get({});
    if (!read.found) return { found: false };
    return { found: true, headers: read.headers, items: () => parseListingBody<ObjectListingItem | SubdirItem>(read.body), json: read.body };
  }
  const prefix = q.prefix ?? '';
  const items: ObjectListingItem[] = [];
  let marker = q.marker;
  let headers: IncomingHttpHeaders | undefined;
  for (let pages = 0; items.length < q.limit && pages < MAX_PATH_PAGES; pages++) {
    const want = q.limit - items.length;
    const read = await get({ delimiter: undefined, marker, limit: want });
    if (!read.found) {
      if (headers === undefined) return { found: false };
      break;
    }
    headers ??= read.headers;
    const page = parseListingBody<ObjectListingItem>(read.body);
    const { kept, resumeMarker } = filterPathPage(page, prefix, q.reverse);
    items.push(...kept);
    if (resumeMarker !== undefined) marker = resumeMarker;
    else if (page.length < want || page.length === 0) break;
    else marker = page[page.length - 1]!.name;
  }
  const kept = items.slice(0, q.limit);
  return { found: true, headers: headers ?? {}, items: () => kept };
}
