/**
 * writeReleasing against a real HTTP server and a client that stops reading: a piece goes back to
 * its read slab only once its socket write completed. Slabs the pool offers while the client is
 * stalled are overwritten (as another connection's reads would); the client must still receive
 * every byte as sent.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { writeReleasing } from '../../../../../services/object/proxy/app/write-releasing';
import { LARGE_SLAB_BYTES, ReadWindows, SlabPool } from '../../../../../services/object/proxy/backend/read-slabs';

const SLABS = 24;

/** Pieces lent from SLABS large slabs (as a socket's reads would fill them), and their bytes. */
function lentPieces(pool: SlabPool): { pieces: Buffer[]; expected: Buffer } {
  const w = new ReadWindows(pool);
  for (let win = w.window(); win.buffer.byteLength !== LARGE_SLAB_BYTES; win = w.window()) w.consumed(win.length, win.length);
  const pieces: Buffer[] = [];
  const copies: Buffer[] = [];
  let offset = 0;
  const slabs = new Set<ArrayBufferLike>();
  for (let win = w.window(); ; win = w.window()) {
    slabs.add(win.buffer);
    if (slabs.size > SLABS) break; // the connection moved on: every slab before is retired
    for (let i = 0; i + 4 <= win.length; i += 4) win.writeUInt32LE(((offset + i) / 4) >>> 0, i);
    const piece = Buffer.from(win.buffer, win.byteOffset, win.length);
    w.lend(piece);
    pieces.push(piece);
    copies.push(Buffer.from(piece));
    offset += win.length;
    w.consumed(win.length, win.length);
  }
  return { pieces, expected: Buffer.concat(copies) };
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

test('pieces go back only after their socket write completed; a stalled client still gets every byte', async () => {
  const pool = new SlabPool(SLABS * 2);
  const { pieces, expected } = lentPieces(pool);
  expect(pool.freeSlabs).toBe(0);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': expected.length });
    writeReleasing(Readable.from(pieces, { objectMode: false }), res);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  let scribbled = 0;
  const received = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1');
    const timer = setTimeout(() => reject(new Error('no full response in 20 s')), 20_000);
    sock.on('error', reject);
    sock.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    sock.pause();
    // While the client reads nothing, the server's writes back up. Every slab the pool offers
    // meanwhile is taken and scribbled over, as another connection's reads would.
    let stalls = 0;
    const scribble = setInterval(() => {
      while (pool.freeSlabs > 0) {
        pool.take().fill(0xee);
        scribbled++;
      }
      if (++stalls === 15) {
        clearInterval(scribble);
        sock.on('data', (c: Buffer) => chunks.push(c));
        sock.resume();
      }
    }, 20);
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    // The server keeps the connection open: end once the whole body arrived.
    sock.on('data', () => {
      const all = Buffer.concat(chunks);
      const head = all.indexOf('\r\n\r\n');
      if (head >= 0 && all.length - head - 4 >= expected.length) sock.end();
    });
  });
  const body = received.subarray(received.indexOf('\r\n\r\n') + 4);
  expect(body.length).toBe(expected.length);
  expect(body.equals(expected)).toBe(true);
  // With the client done, every piece's write completed: every slab went back.
  await new Promise((r) => setTimeout(r, 50));
  expect(scribbled).toBeGreaterThan(0);
  expect(pool.freeSlabs + scribbled).toBe(SLABS);
});
