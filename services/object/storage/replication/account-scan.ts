/**
 * The account records of one device's LevelDB (`a/<hash>/stat`, account-store.ts), for the
 * reaper: which accounts are marked deleted. A scan walks the account keys in order; it reads
 * the container rows' keys too (they sort between the records), which is fine for a background
 * pass but is why this is not a request the proxy makes.
 */
import type { Level } from 'level';
import { accountDeleted, type AccountRecord } from '../account/account-store';

export interface AccountSummary {
  account: string;
  putTimestamp: string;
  deleteTimestamp: string;
  deleted: boolean;
}

export async function scanAccounts(db: Level<string, string>): Promise<AccountSummary[]> {
  const out: AccountSummary[] = [];
  for await (const [key, value] of db.iterator({ gte: 'a/', lt: 'a0' })) {
    if (!/^a\/[0-9a-f]{32}\/stat$/.test(key)) continue;
    let rec: AccountRecord;
    try {
      rec = JSON.parse(value) as AccountRecord;
    } catch {
      continue;
    }
    out.push({ account: rec.account, putTimestamp: rec.putTimestamp, deleteTimestamp: rec.deleteTimestamp, deleted: accountDeleted(rec) });
  }
  return out;
}
