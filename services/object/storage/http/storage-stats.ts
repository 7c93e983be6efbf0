/**
 * Counters of one storage server, served at `GET /recon/stats` and asserted on in tests
 * (aborted uploads, quarantines, conflicts are the interesting ones).
 */
export class StorageStats {
  /** "<METHOD> <status>" → count. */
  readonly requests: Record<string, number> = {};
  bytesReceived = 0;
  bytesSent = 0;
  /** Uploads dropped because the client went away or sent a bad body (nothing stored). */
  uploadsAborted = 0;
  quarantined = 0;
  /** Journal replays since start (see diskfile/journal-replay.ts). */
  readonly journalReplays: Record<string, unknown>[] = [];
  /** The object journals' counters (set by the server once its store is open). */
  journal: () => Record<string, number> = () => ({});
  /** Where inode creations ran (diskfile/creation-gate.ts; set by the server). */
  creations: () => Record<string, number> = () => ({});

  countRequest(method: string, status: number): void {
    const key = `${method} ${status}`;
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }

  snapshot(): Record<string, unknown> {
    return {
      requests: { ...this.requests },
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      uploadsAborted: this.uploadsAborted,
      quarantined: this.quarantined,
      journal: { ...this.journal(), replays: this.journalReplays },
      creations: this.creations(),
      // Bytes; `arrayBuffers` is where request and file buffers live, so streaming shows there.
      memory: process.memoryUsage(),
    };
  }
}
