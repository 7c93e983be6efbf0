#!/usr/bin/env node
/**
 * weft-ring: builds the object store's rings, like swift-ring-builder.
 *   weft-ring create <builder-file> <part_power> <replicas> [--seed N] [--min-part-hours H]
 *   weft-ring add <builder-file> --region R --zone Z --ip IP --port P --device NAME --weight W [--meta TEXT]
 *   weft-ring remove <builder-file> <device-id>
 *   weft-ring set-weight <builder-file> <device-id> <weight>
 *   weft-ring rebalance <builder-file> <ring-file>
 *   weft-ring show <builder-file>
 * The builder file keeps the whole state (so rebalances are incremental); the ring file is what
 * servers load. See services/object/ring/ for the algorithm and both formats.
 */
import { runRingTool } from './run';

runRingTool(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => Date.now(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`weft-ring: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
