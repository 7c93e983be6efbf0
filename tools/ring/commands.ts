/**
 * The verbs of `weft-ring`. Each validates everything before it writes anything, and writes
 * atomically (files.ts), so a refused command leaves every file as it was.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { RingBuilder, describeDevice, encodeBuilderFile, encodeRingFile } from '../../services/object/ring';
import { type OptionSpec, type Parsed, UsageError, parseArgs, validate } from '../cli/args';
import { createFile, readBuilder, replaceFile, saveBuilder } from './files';
import { showLines } from './show';

export interface ToolContext {
  out(line: string): void;
  /** Wall clock in ms (only the hour matters: min_part_hours). */
  now(): number;
}

interface Command {
  usage: string;
  positionals: string[];
  options: OptionSpec[];
  run(ctx: ToolContext, args: Parsed): Promise<void>;
}

const INT = /^(0|[1-9]\d*)$/;
const NUMBER = /^(0|[1-9]\d*)(\.\d+)?$/;

/** A non-negative integer argument, or a UsageError naming it. */
function int(name: string, raw: string | undefined): number {
  if (raw === undefined || !INT.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`${name} must be a non-negative integer, got "${raw ?? ''}"`);
  return Number(raw);
}

function weight(raw: string | undefined): number {
  if (raw === undefined || !NUMBER.test(raw) || !Number.isFinite(Number(raw))) throw new UsageError(`weight must be a non-negative number, got "${raw ?? ''}"`);
  return Number(raw);
}

function required(args: Parsed, name: string): string {
  const v = args.str(name);
  if (v === undefined) throw new UsageError(`missing required option --${name}`);
  return v;
}

async function load(file: string): Promise<RingBuilder> {
  return RingBuilder.fromState(await readBuilder(file));
}

export const commands: Record<string, Command> = {
  create: {
    usage: 'create <builder-file> <part_power> <replicas> [--seed N] [--min-part-hours H]',
    positionals: ['builder-file', 'part_power', 'replicas'],
    options: [
      { name: 'seed', type: 'string', help: 'PRNG seed (default 0)' },
      { name: 'min-part-hours', type: 'string', help: 'hours between moves of one partition (default 0)' },
    ],
    async run(ctx, args) {
      const file = args.positional(0) as string;
      const seedRaw = args.str('seed');
      const hoursRaw = args.str('min-part-hours');
      const builder = RingBuilder.create({
        partPower: int('part_power', args.positional(1)),
        replicas: int('replicas', args.positional(2)),
        seed: seedRaw === undefined ? 0 : int('--seed', seedRaw),
        minPartHours: hoursRaw === undefined ? 0 : int('--min-part-hours', hoursRaw),
      });
      await createFile(file, encodeBuilderFile(builder.toState()));
      ctx.out(`created ${file}: ${builder.partitions} partitions, ${builder.replicas} replicas, seed ${builder.seed}, min_part_hours ${builder.minPartHours}`);
    },
  },

  add: {
    usage: 'add <builder-file> --region R --zone Z --ip IP --port P --device NAME --weight W [--meta TEXT]',
    positionals: ['builder-file'],
    options: [
      { name: 'region', type: 'string', help: 'region number', required: true },
      { name: 'zone', type: 'string', help: 'zone number', required: true },
      { name: 'ip', type: 'string', help: 'storage server address', required: true },
      { name: 'port', type: 'string', help: 'storage server port', required: true },
      { name: 'device', type: 'string', help: 'device directory name', required: true },
      { name: 'weight', type: 'string', help: 'relative capacity', required: true },
      { name: 'meta', type: 'string', help: 'free-form notes' },
    ],
    async run(ctx, args) {
      const file = args.positional(0) as string;
      const builder = await load(file);
      const dev = builder.addDevice({
        region: int('--region', required(args, 'region')),
        zone: int('--zone', required(args, 'zone')),
        ip: required(args, 'ip'),
        port: int('--port', required(args, 'port')),
        device: required(args, 'device'),
        weight: weight(required(args, 'weight')),
        meta: args.str('meta'),
      });
      await saveBuilder(file, builder.toState());
      ctx.out(`device ${describeDevice(dev)} with weight ${dev.weight} got id ${dev.id}`);
    },
  },

  remove: {
    usage: 'remove <builder-file> <device-id>',
    positionals: ['builder-file', 'device-id'],
    options: [],
    async run(ctx, args) {
      const file = args.positional(0) as string;
      const builder = await load(file);
      const dev = builder.removeDevice(int('device-id', args.positional(1)));
      await saveBuilder(file, builder.toState());
      ctx.out(`device ${describeDevice(dev)} marked for removal; its partitions move at the next rebalance`);
    },
  },

  'set-weight': {
    usage: 'set-weight <builder-file> <device-id> <weight>',
    positionals: ['builder-file', 'device-id', 'weight'],
    options: [],
    async run(ctx, args) {
      const file = args.positional(0) as string;
      const builder = await load(file);
      const id = int('device-id', args.positional(1));
      const before = builder.device(id).weight;
      const dev = builder.setWeight(id, weight(args.positional(2)));
      await saveBuilder(file, builder.toState());
      ctx.out(`device ${describeDevice(dev)} weight ${before} -> ${dev.weight}`);
    },
  },

  rebalance: {
    usage: 'rebalance <builder-file> <ring-file>',
    positionals: ['builder-file', 'ring-file'],
    options: [],
    async run(ctx, args) {
      const file = args.positional(0) as string;
      const ringFile = args.positional(1) as string;
      const builder = await load(file);
      const summary = builder.rebalance({ now: ctx.now() });
      const bytes = encodeRingFile(builder.ringData());
      // The builder first: if the ring write fails, rerunning rebalance rewrites the same ring.
      if (summary.changed) await saveBuilder(file, builder.toState());
      await replaceFile(ringFile, bytes);
      const pct = ((100 * summary.movedPartitions) / builder.partitions).toFixed(2);
      const report = showLines(path.basename(file), builder)[2];
      if (!summary.changed) ctx.out(`nothing to move; ring version ${summary.ringVersion} unchanged; ${report}`);
      else if (summary.placedSlots > 0 && summary.movedSlots === 0) ctx.out(`placed ${summary.placedSlots} partition replicas; ring version ${summary.ringVersion}; ${report}`);
      else ctx.out(`reassigned ${summary.movedSlots} partition replicas (${summary.movedPartitions} partitions, ${pct}%); ring version ${summary.ringVersion}; ${report}`);
      for (const d of summary.removedDevices) ctx.out(`removed device ${describeDevice(d)}`);
      if (summary.overTarget > 0) {
        ctx.out(
          `note: ${summary.overTarget} partition replicas are still over their devices' targets (at most one replica of a partition moves per rebalance${
            builder.minPartHours > 0 ? `, and not within ${builder.minPartHours} h of its last move` : ''
          }): push this ring, then rebalance again`,
        );
      }
      ctx.out(`wrote ${ringFile} (${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)})`);
    },
  },

  show: {
    usage: 'show <builder-file>',
    positionals: ['builder-file'],
    options: [],
    async run(ctx, args) {
      const file = args.positional(0) as string;
      for (const line of showLines(file, await load(file))) ctx.out(line);
    },
  },
};

/** Parses and checks one verb's arguments (UsageError on any mistake). */
export function parseVerb(verb: string, argv: readonly string[]): { command: Command; args: Parsed } {
  const command = commands[verb];
  if (!command) throw new UsageError(`unknown command "${verb}"`);
  const { parsed } = parseArgs(argv, command.options, { topic: verb });
  validate(parsed, { options: command.options, positionals: command.positionals.map((name) => ({ name, required: true })) }, verb);
  return { command, args: parsed };
}
