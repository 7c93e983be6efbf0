import { parseArgs } from '../../../tools/cli/args';
import { collect, DEFAULT_LIST_CAP, LIST_OPTIONS } from '../../../tools/cli/commands/common';
import type { Context } from '../../../tools/cli/context';

/** A fake server holding `total` items, served in pages of the requested size (default 100). */
function pages(total: number) {
  const calls: { pageSize: number; pageToken: string }[] = [];
  const fetch = async (pageSize: number, pageToken: string) => {
    calls.push({ pageSize, pageToken });
    const from = pageToken ? Number(pageToken) : 0;
    const to = Math.min(total, from + (pageSize || 100));
    return { items: Array.from({ length: to - from }, (_, i) => from + i), next: to < total ? String(to) : '' };
  };
  return { fetch, calls };
}

function ctx(): { ctx: Context; errors: string[] } {
  const errors: string[] = [];
  const c = { out: () => undefined, err: (t: string) => errors.push(t) } as unknown as Context;
  return { ctx: c, errors };
}

const args = (...argv: string[]) => parseArgs(argv, LIST_OPTIONS).parsed;

describe('collect (list paging)', () => {
  test('follows next_page_token until the last page', async () => {
    const { fetch, calls } = pages(250);
    const { ctx: c, errors } = ctx();
    expect(await collect(c, args(), 'ports', fetch)).toHaveLength(250);
    expect(calls.map((x) => x.pageToken)).toEqual(['', '100', '200']);
    expect(errors).toEqual([]);
  });

  test('--limit asks for small pages and stops early', async () => {
    const { fetch, calls } = pages(250);
    const { ctx: c, errors } = ctx();
    expect(await collect(c, args('--limit', '5'), 'ports', fetch)).toEqual([0, 1, 2, 3, 4]);
    expect(calls).toEqual([{ pageSize: 5, pageToken: '' }]);
    expect(errors).toEqual([]);
  });

  test('--limit is honoured even when a larger --page-size returns more', async () => {
    const { fetch } = pages(50);
    expect(await collect(ctx().ctx, args('--limit', '3', '--page-size', '100'), 'ports', fetch)).toEqual([0, 1, 2]);
  });

  test('--page-size is passed through', async () => {
    const { fetch, calls } = pages(5);
    await collect(ctx().ctx, args('--page-size', '2'), 'ports', fetch);
    expect(calls.map((x) => x.pageSize)).toEqual([2, 2, 2]);
  });

  test('without --all, stops at the default cap with a note on stderr', async () => {
    const { fetch } = pages(DEFAULT_LIST_CAP + 500);
    const { ctx: c, errors } = ctx();
    expect(await collect(c, args('--page-size', '1000'), 'ports', fetch)).toHaveLength(DEFAULT_LIST_CAP);
    expect(errors).toEqual([`weft: note: showing the first ${DEFAULT_LIST_CAP} ports; use --all for every one or --limit N`]);
    const all = pages(DEFAULT_LIST_CAP + 500);
    expect(await collect(c, args('--all', '--page-size', '1000'), 'ports', all.fetch)).toHaveLength(DEFAULT_LIST_CAP + 500);
  });
});
