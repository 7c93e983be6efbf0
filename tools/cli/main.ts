#!/usr/bin/env node
/**
 * The `weft` CLI: `weft [global options] RESOURCE VERB [ARGS] [options]`, `weft watch`,
 * `weft revision`, `weft login|logout|catalog`. Dispatches to tools/cli/commands/*; exit codes:
 * 0 ok, 1 API error, 2 usage.
 */
import { parseArgs, Parsed, suggest, UsageError, validate } from './args';
import { agentResource } from './commands/agent';
import type { Command, Resource } from './commands/common';
import { floatingIpResource } from './commands/floating-ip';
import { catalogCommand, loginCommand, logoutCommand, tokenResource } from './commands/identity-auth';
import { appCredResource } from './commands/identity-app-cred';
import { endpointResource } from './commands/identity-endpoint';
import { projectResource } from './commands/identity-project';
import { roleResource } from './commands/identity-role';
import { userResource } from './commands/identity-user';
import { networkResource } from './commands/network';
import { portResource } from './commands/port';
import { routerResource } from './commands/router';
import { securityGroupResource, securityGroupRuleResource } from './commands/security-group';
import { subnetResource } from './commands/subnet';
import { revisionCommand, watchCommand } from './commands/watch';
import { createContext, GLOBAL_OPTIONS, resolveGlobals, type Output } from './context';
import { describeFailure } from './errors';
import { commandHelp, resourceHelp, topHelp } from './help';
import { readSecretLine } from './prompt';

export const RESOURCES: readonly Resource[] = [
  networkResource,
  subnetResource,
  portResource,
  routerResource,
  securityGroupResource,
  securityGroupRuleResource,
  floatingIpResource,
  agentResource,
  projectResource,
  userResource,
  roleResource,
  endpointResource,
  appCredResource,
  tokenResource,
];
export const COMMANDS: Readonly<Record<string, Command>> = { watch: watchCommand, revision: revisionCommand, login: loginCommand, logout: logoutCommand, catalog: catalogCommand };

function findResource(word: string): Resource | undefined {
  return RESOURCES.find((r) => r.name === word || r.aliases.includes(word));
}

function unknownWord(word: string): UsageError {
  const words = [...RESOURCES.flatMap((r) => [r.name, ...r.aliases]), ...Object.keys(COMMANDS), 'help'];
  const near = suggest(word, words);
  return new UsageError(`unknown command "${word}"${near ? ` (did you mean "${near}"?)` : ''}`);
}

/** The words of argv, skipping options (and the values of global options that take one). */
function words(argv: readonly string[]): string[] {
  const valued = new Set(GLOBAL_OPTIONS.filter((o) => o.type !== 'boolean').map((o) => `--${o.name}`));
  const out: string[] = [];
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (valued.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) out.push(argv[i]);
  }
  return out;
}

/**
 * The global options of a command's own stage, leaving out those the command redefines (e.g.
 * `role add --project` names a project).
 */
function globalsOf(parsed: Parsed, command: Command): Parsed {
  const own = new Set(command.options.map((o) => o.name));
  return new Parsed(new Map([...parsed.values].filter(([name]) => !own.has(name))), parsed.positionals);
}

/** Help for the deepest topic named in argv; unknown words fall back to the level above. */
function help(topic: readonly string[]): string {
  const [first, second] = topic;
  if (first && COMMANDS[first]) return commandHelp(first, COMMANDS[first]);
  const r = first ? findResource(first) : undefined;
  if (!r) return topHelp(RESOURCES, COMMANDS);
  const c = second ? r.verbs[second] : undefined;
  return c ? commandHelp(`${r.name} ${second}`, c) : resourceHelp(r);
}

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  const end = argv.indexOf('--');
  const head = end >= 0 ? argv.slice(0, end) : argv;
  if (head.includes('--help') || head.includes('-h')) {
    io.out(help(words(argv)));
    return 0;
  }
  const stages: Parsed[] = [];
  let url = '';
  // The service a failure is reported against (its address for "cannot reach ...").
  let target = (): [string, string] => [url || resolveGlobals(stages, env).url, 'network'];
  try {
    // Global options may come before the resource, between resource and verb, and after the verb.
    const s1 = parseArgs(argv, GLOBAL_OPTIONS, { stopAtPositional: true });
    stages.push(s1.parsed);
    url = resolveGlobals(stages, env).url;
    const word = s1.rest[0];
    if (word === undefined || word === '--') throw new UsageError('missing command');
    if (word === 'help') {
      io.out(help(s1.rest.slice(1)));
      return 0;
    }
    let command: Command;
    let topic: string;
    let rest: string[];
    if (COMMANDS[word]) {
      command = COMMANDS[word];
      topic = word;
      rest = s1.rest.slice(1);
    } else {
      const resource = findResource(word);
      if (!resource) throw unknownWord(word);
      const s2 = parseArgs(s1.rest.slice(1), GLOBAL_OPTIONS, { stopAtPositional: true, topic: resource.name });
      stages.push(s2.parsed);
      const verb = s2.rest[0];
      const verbs = Object.keys(resource.verbs);
      if (verb === undefined) throw new UsageError(`missing verb for ${resource.name} (one of ${verbs.join(', ')})`, resource.name);
      if (verb === 'help') {
        io.out(help([resource.name, ...s2.rest.slice(1)]));
        return 0;
      }
      if (!resource.verbs[verb]) {
        const near = suggest(verb, verbs);
        throw new UsageError(`unknown verb "${verb}" for ${resource.name} (one of ${verbs.join(', ')})${near ? `; did you mean "${near}"?` : ''}`, resource.name);
      }
      command = resource.verbs[verb];
      topic = `${resource.name} ${verb}`;
      rest = s2.rest.slice(1);
    }
    const { parsed } = parseArgs(rest, [...GLOBAL_OPTIONS, ...command.options], { topic });
    stages.push(globalsOf(parsed, command));
    validate(parsed, command, topic);
    const settings = resolveGlobals(stages, env);
    url = settings.url;
    const ctx = createContext(settings, io, env);
    if (command.service === 'identity') target = () => [ctx.identityUrl, 'identity'];
    try {
      await command.run(ctx, parsed, topic);
    } finally {
      ctx.close();
    }
    return 0;
  } catch (e) {
    const failure = describeFailure(e, ...target());
    for (const line of failure.lines) io.err(line);
    return failure.exitCode;
  }
}

if (require.main === module) {
  // `weft ... | head` closes stdout early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const io: Output = {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    readSecret: (prompt) => readSecretLine(prompt),
  };
  run(process.argv.slice(2), process.env, io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`weft: INTERNAL: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
