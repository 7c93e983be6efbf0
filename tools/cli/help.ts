/** --help text for the CLI, its resources and each command, generated from the specs. */
import type { OptionSpec } from './args';
import type { Command, Resource } from './commands/common';
import { GLOBAL_OPTIONS } from './context';
import { renderTable } from './format';

function indentTable(rows: string[][]): string[] {
  // renderTable prints a header row; drop it and indent the rest.
  return renderTable(rows[0]?.map(() => '') ?? [], rows)
    .split('\n')
    .slice(1)
    .map((l) => `  ${l}`);
}

function optionRows(options: readonly OptionSpec[]): string[][] {
  return options.map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.type === 'boolean' ? '' : ` ${o.value ?? o.type.toUpperCase()}`}${o.repeatable ? ' ...' : ''}`;
    return [flag, `${o.help}${o.required ? ' (required)' : ''}`];
  });
}

export function topHelp(resources: readonly Resource[], commands: Readonly<Record<string, Command>>): string {
  return [
    'weft: command-line client for the Weft network and identity services (weft.network.v1, weft.identity.v1)',
    '',
    'Usage: weft [global options] RESOURCE VERB [ARGS] [options]',
    '       weft [global options] COMMAND [options]',
    '',
    'Resources:',
    ...indentTable(resources.map((r) => [r.aliases.length ? `${r.name} (${r.aliases.join(', ')})` : r.name, `${r.summary}: ${Object.keys(r.verbs).join(', ')}`])),
    '',
    'Commands:',
    ...indentTable(Object.entries(commands).map(([name, c]) => [name, c.summary])),
    '',
    'Global options (anywhere on the line):',
    ...indentTable(optionRows(GLOBAL_OPTIONS)),
    '',
    'Resources may be named by id, or by name where they have one. Exit codes: 0 ok, 1 API error, 2 usage error.',
    "Authentication: env WEFT_TOKEN, else the token cached by 'weft login', else none (commands then ask you to log in).",
    "Run 'weft RESOURCE --help' or 'weft RESOURCE VERB --help' for details.",
  ].join('\n');
}

export function resourceHelp(r: Resource): string {
  return [
    `weft ${r.name}: ${r.summary}${r.aliases.length ? ` (alias: ${r.aliases.join(', ')})` : ''}`,
    '',
    `Usage: weft ${r.name} VERB [ARGS] [options]`,
    '',
    'Verbs:',
    ...indentTable(Object.entries(r.verbs).map(([verb, c]) => [verb, c.summary])),
    '',
    `Run 'weft ${r.name} VERB --help' for the options of a verb.`,
  ].join('\n');
}

export function commandHelp(path: string, c: Command): string {
  const args = c.positionals.map((p) => (p.required ? p.name : `[${p.name}]`)).join(' ');
  const out = [`Usage: weft ${path}${args ? ` ${args}` : ''}${c.options.length ? ' [options]' : ''}`, '', `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`];
  const described = c.positionals.filter((p) => p.help);
  if (described.length) out.push('', 'Arguments:', ...indentTable(described.map((p) => [p.name, p.help!])));
  if (c.options.length) out.push('', 'Options:', ...indentTable(optionRows(c.options)));
  if (c.exclusive?.length) out.push('', `Not together: ${c.exclusive.map((g) => g.map((n) => `--${n}`).join('/')).join(', ')}`);
  if (c.notes?.length) out.push('', ...c.notes);
  const own = new Set(c.options.map((o) => o.name));
  out.push('', 'Global options:', ...indentTable(optionRows(GLOBAL_OPTIONS.filter((o) => !own.has(o.name)))));
  return out.join('\n');
}
