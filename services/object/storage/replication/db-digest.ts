/**
 * A digest of one container or account database (pure): two replicas hold the same rows and
 * record exactly when their digests are equal, so the replicator compares digests first and
 * only sends rows when they differ (Swift compares sync points; a digest is simpler and enough
 * here). Only what replication converges goes in: the PUT and DELETE timestamps, metadata items
 * with their timestamps, and every row (tombstones included) in a canonical JSON form. Derived
 * or local fields (created, counts in the record, the container's account target) stay out.
 */
import { createHash, type Hash } from 'node:crypto';

/** JSON with object keys sorted, so equal values always serialize the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface DigestRecord {
  putTimestamp: string;
  deleteTimestamp: string;
  metadata: Record<string, { value: string; timestamp: string }>;
}

/** Incremental: rows in key order, then the record. */
export class DbDigest {
  private readonly md5: Hash = createHash('md5');

  row(name: string, stored: unknown): void {
    this.md5.update(`r ${JSON.stringify(name)} ${canonicalJson(stored)}\n`);
  }

  finish(record: DigestRecord): string {
    this.md5.update(`s ${canonicalJson({ putTimestamp: record.putTimestamp, deleteTimestamp: record.deleteTimestamp, metadata: record.metadata })}\n`);
    return this.md5.digest('hex');
  }
}
