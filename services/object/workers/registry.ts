/**
 * Every worker the workers process can run, by name. Adding one is one import and one entry.
 */
import { auditorDefinition } from './auditor';
import { expirerDefinition } from './expirer';
import { reaperDefinition } from './reaper/definition';
import { replicatorDefinition } from './replicator/definition';
import { updaterDefinition } from './updater';
import type { WorkerDefinition } from './worker-definition';

export const WORKERS: readonly WorkerDefinition[] = [
  updaterDefinition,
  auditorDefinition,
  expirerDefinition,
  replicatorDefinition,
  reaperDefinition,
];
