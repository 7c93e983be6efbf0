/**
 * The object store's rings (account, container and object each have one): which devices hold
 * which partition of the hash space.
 *
 * Design, in brief (after Swift's ring):
 *  - A name's partition is the top `partPower` bits of MD5(prefix + "/a/c/o" + suffix)
 *    (hash-path.ts). Partitions, not names, are placed, so the table is 2^partPower × replicas.
 *  - Operators edit a builder offline (ring-builder.ts, stored by builder-file.ts, driven by the
 *    `weft-ring` tool). Rebalancing (rebalance.ts, on placement.ts and topology.ts) is pure and
 *    seeded: replicas go to distinct regions, zones and servers as far as the layout allows, in
 *    proportion to weight, and a rebalance moves only what it must, at most one replica of a
 *    partition at a time.
 *  - The result is shipped as a versioned, checksummed ring file (ring-file.ts); servers hold it
 *    in a RingReader (ring-reader.ts) that reloads safely, and ask a Ring (ring.ts) for primaries
 *    and handoffs (handoffs.ts).
 *  - Every error is a RingError with a stable code (ring-error.ts).
 */
export { type DeviceSpec, type RingDevice, describeDevice } from './device';
export { type HashPathConfig, hashPath, partitionOfHash } from './hash-path';
export { type Prng, mulberry32, rebalancePrng } from './prng';
export { type BuilderParams, type BuilderState, type RebalanceOptions, type RebalanceSummary, RingBuilder } from './ring-builder';
export { BUILDER_FORMAT_VERSION, decodeBuilderFile, encodeBuilderFile } from './builder-file';
export { type RingData, MAX_PART_POWER, MAX_REPLICAS } from './ring-data';
export { RING_FORMAT_VERSION, decodeRingFile, encodeRingFile } from './ring-file';
export { type NodesForPath, Ring } from './ring';
export { type ReloadOutcome, type RingName, RingReader, type RingReaderCounters, type RingReaderOptions, ringFilePath } from './ring-reader';
export { type DeviceReport, MAX_BALANCE, type RingReport, ringReport } from './report';
export { RingError, type RingErrorCode } from './ring-error';
