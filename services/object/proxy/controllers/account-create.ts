/**
 * Swift's account_autocreate: an account comes into being on its first write (a container PUT
 * or an account POST by its owner), so a new project needs no provisioning step. Creating is a
 * PUT with a fresh X-Timestamp on every account replica; 201 (created) and 202 (already there)
 * are both success. A replica holding the account deleted refuses (403 "Recently deleted") until
 * the reaper has its record reclaimed; callers answer that as their own refusal.
 */
import type { ProxyContext } from '../app/context';
import { Timestamp } from '../../common/timestamp';
import { invalidateAccountInfo } from './container-info';
import { writeReplicas } from './container-replicas';

/** Creates the account on its replicas; returns the quorum's status (2xx = it exists now). */
export async function createAccount(ctx: ProxyContext, account: string, transId: string, headers: Record<string, string> = {}): Promise<number> {
  const timestamp = Timestamp.now(ctx.clock).normal;
  const r = await writeReplicas(ctx, { layer: 'account', method: 'PUT', account, headers: () => ({ ...headers, 'X-Timestamp': timestamp }), transId });
  invalidateAccountInfo(ctx, account);
  return r.status;
}
