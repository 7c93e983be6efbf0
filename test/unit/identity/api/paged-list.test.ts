import { encodePageToken } from '../../../../controller/api/paging';
import { Violations } from '../../../../controller/domain/validate';
import { pageCursor } from '../../../../services/identity/api/paged-list';

const ID = '00000000-0000-4000-8000-0000000000aa';

function cursor(req: { pageSize?: number; pageToken?: string }, filters: unknown = { n: '' }, valid?: RegExp) {
  const v = new Violations();
  const out = pageCursor(v, { pageSize: req.pageSize ?? 0, pageToken: req.pageToken ?? '' }, filters, valid);
  return { ...out, fields: v.list.map((x) => x.field) };
}

describe('pageCursor', () => {
  it('defaults and caps the page size and starts at the beginning', () => {
    expect(cursor({})).toEqual({ limit: 100, afterId: undefined, fields: [] });
    expect(cursor({ pageSize: 5000 })).toMatchObject({ limit: 1000, fields: [] });
  });

  it('continues after the position of a token issued for the same filters', () => {
    expect(cursor({ pageSize: 2, pageToken: encodePageToken(ID, { n: 'x' }) }, { n: 'x' })).toEqual({ limit: 2, afterId: ID, fields: [] });
  });

  it('collects a negative size and a bad token together instead of throwing', () => {
    expect(cursor({ pageSize: -1, pageToken: 'garbage' }).fields).toEqual(['page_size', 'page_token']);
  });

  it('refuses a token issued for other filters, or carrying a position the list does not use', () => {
    expect(cursor({ pageToken: encodePageToken(ID, { n: 'a' }) }, { n: 'b' }).fields).toEqual(['page_token']);
    expect(cursor({ pageToken: encodePageToken('not an id', { n: '' }) }).fields).toEqual(['page_token']);
    expect(cursor({ pageToken: encodePageToken('a b', { n: '' }) }, { n: '' }, /^a b$/).fields).toEqual([]);
  });
});
