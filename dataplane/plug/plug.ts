/**
 * Compute-side plugging: the piece an orchestrator's compute driver calls to attach an instance
 * (here a network namespace) to a port bound to this host. Check, then act: observe the kernel,
 * plan (pure, plan.ts), run the plan in order, stop at the first failure.
 *
 * A failure part way leaves a partial plug; plugging again with the same spec completes it, and
 * unplugging removes it. Two plugs of the same port running at once are not serialized here.
 */
import { PlugError } from './errors';
import { observePlug, observeUnplug } from './observe';
import { batchCommands, planPlug, planUnplug, type Argv, type UnplugSpec } from './plan';
import { defaultRunner, runChecked, type Runner } from './run';
import { validateNames, validateSpec, type PlugSpec } from './spec';

export { PlugError, type PlugErrorCode } from './errors';
export { specFromPort, checkBinding, portTapName, type PlugPlacement } from './spec-from-port';
export type { PlugSpec, PlugAddress } from './spec';
export type { UnplugSpec, Argv } from './plan';

export interface PlugOptions {
  /** How commands run (default: execFile with a 10 s deadline each). */
  run?: Runner;
}

export interface PlugResult {
  /** The commands run, in order (a re-plug of an unchanged spec runs no creating command). */
  commands: Argv[];
  /** The veth pair was created by this call (false: it was already in place). */
  created: boolean;
}

async function runAll(run: Runner, commands: Argv[], what: string): Promise<void> {
  for (const inv of batchCommands(commands)) {
    try {
      await runChecked(run, inv.argv, inv.input);
    } catch (e) {
      if (e instanceof PlugError) throw new PlugError(e.code, `${what}: ${e.message}`);
      throw e;
    }
  }
}

/** Makes the instance match `spec` (creating the namespace and the veth pair when missing). */
export async function plugInstance(spec: PlugSpec, opts: PlugOptions = {}): Promise<PlugResult> {
  const run = opts.run ?? defaultRunner;
  validateSpec(spec); // before any name reaches a command line
  const observed = await observePlug(run, spec);
  const commands = planPlug(spec, observed);
  await runAll(run, commands, `plugging ${spec.tap} into ${spec.instance}`);
  return { commands, created: commands.some((c) => c.includes('add') && c.includes('veth')) };
}

export interface UnplugResult {
  commands: Argv[];
}

/** Removes the port's veth pair (and the instance namespace if asked); absent things are fine. */
export async function unplugInstance(spec: UnplugSpec, opts: PlugOptions = {}): Promise<UnplugResult> {
  const run = opts.run ?? defaultRunner;
  validateNames(spec);
  const commands = planUnplug(spec, await observeUnplug(run, spec));
  await runAll(run, commands, `unplugging ${spec.tap} from ${spec.instance}`);
  return { commands };
}
