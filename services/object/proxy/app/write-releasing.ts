/**
 * body.pipe(res) for a body of lean reader pieces (read-slabs.ts): each piece goes back to its
 * read slab once its socket write completed, so large GETs reuse slabs instead of allocating.
 * Only then: until the write callback, libuv may still be sending from the piece's memory. A
 * failed write keeps its piece (the slab is then simply not reused).
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { releasePiece } from '../backend/read-slabs';

export function writeReleasing(body: Readable, res: ServerResponse): void {
  let waiting = false;
  const onDrain = (): void => {
    waiting = false;
    body.resume();
  };
  body.on('data', (chunk: Buffer) => {
    const more = res.write(chunk, (err) => {
      if (!err) releasePiece(chunk);
    });
    if (!more && !waiting) {
      waiting = true;
      body.pause();
      res.once('drain', onDrain);
    }
  });
  body.once('end', () => res.end());
}
