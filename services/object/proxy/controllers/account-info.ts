/**
 * Account info (existence, counts, metadata, quota), cached like container info. It lives in
 * container-info.ts, which owns the shared cache keys; this module is the name to import it by.
 */
export { type AccountInfo, getAccountInfo, invalidateAccountInfo, rememberAccountInfo, accountInfoFromHeaders } from './container-info';
