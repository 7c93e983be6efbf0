/**
 * The metadata footer of a `.data` file (pure codec).
 *
 * A `.data` holds the object's bytes followed by its metadata, so a PUT creates, syncs and
 * renames one file instead of two: one inode, one fsync and one rename less per replica write
 * (an inode creation costs up to a millisecond of kernel CPU on this machine's journal-less ext4
 * right after mass deletions).
 *
 *     body (contentLength bytes) | metadata JSON (m bytes) | m: u32 BE | CRC-32 of the JSON: u32 BE | "WEFTMD01"
 *
 * The body comes first so it streams to disk as it arrives (the ETag and length are only known
 * at its end) and readers read it from offset 0, ignoring the rest. The fixed-size trailer sits
 * at the very end so a reader finds the JSON from the file's size alone. A file is whole only if
 * the magic, the JSON's length and CRC-32, the JSON itself and `size = contentLength + m + 16`
 * all agree; anything else is a damaged object (its reader quarantines it).
 *
 * Files written before the footer existed (`.data` plus a separate `<ts>.meta.json`) are still
 * read: ondisk-files.ts tells them apart by the `.meta.json` beside them.
 */
import { crc32 } from 'node:zlib';
import { parseDataMetadata, type DataMetadataFile } from './object-metadata';

export const FOOTER_MAGIC = Buffer.from('WEFTMD01', 'latin1');
export const FOOTER_TRAILER_BYTES = 8 + FOOTER_MAGIC.length;
/** Larger metadata is not ours (the proxy limits user metadata to a few KiB). */
export const FOOTER_JSON_MAX_BYTES = 1024 * 1024;
/** What a reader reads from the end first: the trailer and, almost always, the whole JSON. */
export const FOOTER_FIRST_READ_BYTES = 4096;

/** The bytes appended after the body. */
export function encodeFooter(meta: DataMetadataFile): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const trailer = Buffer.allocUnsafe(FOOTER_TRAILER_BYTES);
  trailer.writeUInt32BE(json.length, 0);
  trailer.writeUInt32BE(crc32(json), 4);
  FOOTER_MAGIC.copy(trailer, 8);
  return Buffer.concat([json, trailer]);
}

export type FooterTrailer = { ok: true; jsonBytes: number; crc: number } | { ok: false; reason: string };

/** Reads the trailer from the last FOOTER_TRAILER_BYTES of a file of `fileSize` bytes. */
export function parseTrailer(trailer: Buffer, fileSize: number): FooterTrailer {
  if (fileSize < FOOTER_TRAILER_BYTES || trailer.length !== FOOTER_TRAILER_BYTES) return { ok: false, reason: `data file of ${fileSize} bytes has no metadata footer` };
  if (!trailer.subarray(8).equals(FOOTER_MAGIC)) return { ok: false, reason: 'data file has no metadata footer' };
  const jsonBytes = trailer.readUInt32BE(0);
  if (jsonBytes > FOOTER_JSON_MAX_BYTES || jsonBytes > fileSize - FOOTER_TRAILER_BYTES) return { ok: false, reason: `metadata footer claims ${jsonBytes} bytes of metadata in a ${fileSize}-byte file` };
  return { ok: true, jsonBytes, crc: trailer.readUInt32BE(4) };
}

export type ParsedFooter = { ok: true; meta: DataMetadataFile; json: Buffer } | { ok: false; reason: string };

/** Checks the JSON the trailer points at against its CRC-32, its content and the file's size. */
export function parseFooterJson(json: Buffer, trailer: { jsonBytes: number; crc: number }, fileSize: number): ParsedFooter {
  if (json.length !== trailer.jsonBytes) return { ok: false, reason: `metadata footer holds ${json.length} of ${trailer.jsonBytes} bytes` };
  if (crc32(json) !== trailer.crc) return { ok: false, reason: 'metadata footer fails its CRC-32' };
  const meta = parseDataMetadata(json.toString('utf8'));
  if (!meta) return { ok: false, reason: 'unreadable metadata footer' };
  const expected = meta.contentLength + json.length + FOOTER_TRAILER_BYTES;
  if (fileSize !== expected) return { ok: false, reason: `data file holds ${fileSize} bytes, metadata says ${meta.contentLength} + ${json.length + FOOTER_TRAILER_BYTES} of footer` };
  return { ok: true, meta, json };
}

/**
 * The footer from the end of a file of `fileSize` bytes, when `tail` (its last bytes) holds all
 * of it; `{ need }` (how many tail bytes it takes) when the JSON is longer than `tail`.
 */
export function parseFooterTail(tail: Buffer, fileSize: number): ParsedFooter | { ok: 'need'; need: number } {
  const t = parseTrailer(tail.subarray(tail.length - FOOTER_TRAILER_BYTES), fileSize);
  if (!t.ok) return t;
  const need = t.jsonBytes + FOOTER_TRAILER_BYTES;
  if (need > tail.length) return { ok: 'need', need };
  return parseFooterJson(tail.subarray(tail.length - need, tail.length - FOOTER_TRAILER_BYTES), t, fileSize);
}
