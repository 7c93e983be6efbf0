/**
 * Read slabs: a large slab is used again only once its connection moved on (or closed) and every
 * piece lent from it was released, by the exact Buffer lent, once.
 */
import { LARGE_SLAB_BYTES, ReadWindows, releasePiece, SlabPool } from '../../../../../services/object/proxy/backend/read-slabs';

/** Fills windows with full reads until the windows switch to a large slab; returns that slab's first window. */
function firstLargeWindow(w: ReadWindows): Buffer {
  for (let i = 0; i < 64; i++) {
    const win = w.window();
    if (win.buffer.byteLength === LARGE_SLAB_BYTES) return win;
    w.consumed(win.length, win.length);
  }
  throw new Error('no large slab');
}

/** Reads full windows until the slab under `from` is left; returns pieces cut from it (one per read). */
function readThrough(w: ReadWindows, from: Buffer, lend = true): Buffer[] {
  const pieces: Buffer[] = [];
  // Bounded: a slab handed back while its pieces are out could come straight back here.
  for (let win = from; win.buffer === from.buffer && pieces.length <= LARGE_SLAB_BYTES / 1024; win = w.window()) {
    const piece = Buffer.from(win.buffer, win.byteOffset, win.length);
    if (lend) w.lend(piece);
    pieces.push(piece);
    w.consumed(win.length, win.length);
  }
  return pieces;
}

describe('read slabs', () => {
  test('small windows first; full reads switch the connection to large slabs', () => {
    const w = new ReadWindows(new SlabPool());
    const first = w.window();
    expect(first.buffer.byteLength).toBeLessThan(LARGE_SLAB_BYTES);
    w.consumed(100, first.length); // a short read: stays small
    expect(w.window().buffer).toBe(first.buffer);
    expect(firstLargeWindow(w).buffer.byteLength).toBe(LARGE_SLAB_BYTES);
  });

  test('a large slab comes back only when retired and all its pieces are released', () => {
    const pool = new SlabPool();
    const w = new ReadWindows(pool);
    const start = firstLargeWindow(w);
    const pieces = readThrough(w, start);
    expect(pieces.length).toBeGreaterThan(1);
    // Retired (the connection moved on) but pieces still out: not free.
    expect(pool.freeSlabs).toBe(0);
    for (const p of pieces.slice(1)) releasePiece(p);
    expect(pool.freeSlabs).toBe(0);
    releasePiece(pieces[0]);
    expect(pool.freeSlabs).toBe(1);
    // The next large slab any connection takes is that one.
    const other = new ReadWindows(pool);
    expect(firstLargeWindow(other).buffer).toBe(start.buffer);
    expect(pool.counters).toEqual({ taken: 3, reused: 1 });
  });

  test('released pieces do not free the slab the connection is still reading into; closing does', () => {
    const pool = new SlabPool();
    const w = new ReadWindows(pool);
    const win = firstLargeWindow(w);
    const piece = Buffer.from(win.buffer, win.byteOffset, 10);
    w.lend(piece);
    w.consumed(10, win.length);
    releasePiece(piece);
    expect(pool.freeSlabs).toBe(0);
    w.close();
    expect(pool.freeSlabs).toBe(1);
  });

  test('double releases, views of pieces and unknown buffers never free a slab early', () => {
    const pool = new SlabPool();
    const w = new ReadWindows(pool);
    const pieces = readThrough(w, firstLargeWindow(w));
    const [a, b] = pieces;
    releasePiece(a);
    releasePiece(a);
    releasePiece(b.subarray(1));
    releasePiece(Buffer.from(b.buffer, b.byteOffset, b.length)); // same bytes, not the lent object
    releasePiece(Buffer.alloc(10));
    for (const p of pieces.slice(2)) releasePiece(p);
    expect(pool.freeSlabs).toBe(0); // b is still out
    releasePiece(b);
    expect(pool.freeSlabs).toBe(1);
  });

  test('a piece lent twice counts once; pieces not from the current large slab are not lent', () => {
    const pool = new SlabPool();
    const w = new ReadWindows(pool);
    const win = firstLargeWindow(w);
    const piece = Buffer.from(win.buffer, win.byteOffset, 5);
    w.lend(piece);
    w.lend(piece);
    w.lend(Buffer.from('copied head bytes'));
    w.consumed(5, win.length);
    w.close();
    releasePiece(piece);
    expect(pool.freeSlabs).toBe(1);
  });

  test('a piece never released keeps its slab out of the pool for good', () => {
    const pool = new SlabPool();
    const w = new ReadWindows(pool);
    const first = firstLargeWindow(w);
    const pieces = readThrough(w, first);
    for (const p of pieces.slice(1)) releasePiece(p);
    w.close();
    // Only the slab the connection moved on to (nothing lent from it) is free.
    expect(pool.freeSlabs).toBe(1);
    expect(pool.take().buffer).not.toBe(first.buffer);
    expect(pool.freeSlabs).toBe(0);
  });

  test('the pool keeps a bounded number of free slabs', () => {
    const pool = new SlabPool(2);
    for (let i = 0; i < 4; i++) pool.give(Buffer.allocUnsafeSlow(LARGE_SLAB_BYTES));
    expect(pool.freeSlabs).toBe(2);
  });
});
