/** weft watch [--from REV] and weft revision */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Change, GetRevisionResponse, resourceTypeToJSON, type WatchResponse } from '../../../proto/gen/weft/network/v1/network_service';
import type { Context } from '../context';
import { enumWord } from '../format';
import { printOne, type Command } from './common';
import { ruleSummary } from './security-group';

export type ChangeAction = 'created' | 'updated' | 'deleted';

/** Resources start at revision_number 1, so a live resource at 1 was just created. */
export function changeAction(c: Change): ChangeAction {
  if (c.deleted) return 'deleted';
  const v = c.value?.value;
  return v && v.revisionNumber === 1 ? 'created' : 'updated';
}

/** The word a person knows the resource by: its name, a floating IP's address, a rule's summary. */
export function changeName(c: Change): string {
  const v = c.value;
  if (!v) return '';
  switch (v.$case) {
    case 'floatingIp':
      return v.value.floatingIpAddress;
    case 'securityGroupRule':
      return ruleSummary(v.value).replace(/ \([^)]*\)$/, '');
    default:
      return v.value.name;
  }
}

/** "REV TYPE ID ACTION NAME" for people, or one JSON object per change. */
export function watchLines(ev: WatchResponse, json: boolean): string[] {
  return ev.changes.map((c) => {
    const action = changeAction(c);
    if (json) return JSON.stringify({ revision: ev.revision, action, ...(Change.toJSON(c) as Record<string, unknown>) });
    return `${ev.revision} ${enumWord(resourceTypeToJSON(c.resourceType), 'RESOURCE_TYPE_')} ${c.id} ${action} ${changeName(c)}`.trimEnd();
  });
}

export const watchCommand: Command = {
  summary: 'print every change as it is committed (Ctrl-C stops)',
  positionals: [],
  options: [{ name: 'from', type: 'int', value: 'REV', help: 'replay from this revision (default: only new changes)' }],
  notes: ['Each line: REVISION TYPE ID created|updated|deleted NAME (with --json: one JSON object per line).'],
  async run(ctx, args) {
    const stream = ctx.api.watch({ fromRevision: args.int('from') ?? 0 });
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      stream.cancel();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (ev: WatchResponse) => {
          for (const line of watchLines(ev, ctx.json)) ctx.out(line);
        });
        stream.on('error', (err: ServiceError) => (stopped && err.code === GrpcStatus.CANCELLED ? resolve() : reject(err)));
        stream.on('end', () => resolve());
      });
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  },
};

export const revisionCommand: Command = {
  summary: 'print the current global revision (where a list-then-watch starts)',
  positionals: [],
  options: [],
  async run(ctx: Context) {
    const r = await ctx.api.getRevision({});
    printOne(ctx, r, GetRevisionResponse.toJSON, (x) => [
      ['revision', String(x.revision)],
      ['oldest_revision', String(x.oldestRevision)],
    ]);
  },
};
