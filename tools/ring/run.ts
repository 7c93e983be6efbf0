/**
 * `weft-ring` without the process: argv in, exit code out, output through callbacks, so tests
 * can run it in-process. Exit codes: 0 done; 2 bad input (usage, invalid values, a bad builder
 * file, a refused change), with one "weft-ring: ..." line and nothing written; 1 anything else
 * (e.g. a failed write).
 */
import { RingError } from '../../services/object/ring';
import { UsageError } from '../cli/args';
import { commands, parseVerb, type ToolContext } from './commands';

export const EXIT_BAD_INPUT = 2;
export const EXIT_FAILED = 1;

export interface RunContext extends ToolContext {
  err(line: string): void;
}

export function usage(): string[] {
  return ['usage: weft-ring <command> ...', ...Object.values(commands).map((c) => `  weft-ring ${c.usage}`)];
}

export async function runRingTool(argv: readonly string[], ctx: RunContext): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === 'help') {
    for (const line of usage()) (verb === undefined ? ctx.err : ctx.out)(line);
    return verb === undefined ? EXIT_BAD_INPUT : 0;
  }
  try {
    const { command, args } = parseVerb(verb, rest);
    await command.run(ctx, args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.err(`weft-ring: ${e.message}${e.topic ? ` (usage: weft-ring ${commands[e.topic]?.usage ?? e.topic})` : ''}`);
      return EXIT_BAD_INPUT;
    }
    if (e instanceof RingError) {
      ctx.err(`weft-ring: ${e.code}: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    ctx.err(`weft-ring: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_FAILED;
  }
}
