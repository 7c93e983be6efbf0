/**
 * Identity's token core: Fernet-style sealing (fernet.ts), the on-disk key repository with
 * rotation (key-repository.ts) and the bearer-token codec on top (token-codec.ts). Servers that
 * only validate need `validateToken` and a `KeyRepository` (or any `ValidatingKeys`).
 */
export type { FernetKey, OpenFailure, OpenOptions, OpenResult } from './fernet';
export { FERNET_KEY_BYTES, MAX_TOKEN_CHARS, keyFromBase64url, keyFromBytes, keyToBase64url, open, seal } from './fernet';
export type { KeyEntry, KeyRepositoryOptions, KeyRole, RandomBytes, RotateOptions } from './key-repository';
export { KeyRepository, KeyRepositoryError } from './key-repository';
export type { Clock, IssueOptions, IssuingKeys, ValidateFailureCode, ValidateResult, ValidatingKeys } from './token-codec';
export {
  AUDIT_ID_BYTES,
  MAX_ISSUED_AT_SKEW_MS,
  TOKEN_PAYLOAD_VERSION,
  issueToken,
  newAuditId,
  staticKeys,
  systemClock,
  validateToken,
} from './token-codec';
