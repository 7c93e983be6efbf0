/**
 * How the proxy reaches the storage servers: the rings (rings.ts), the HTTP client with
 * keep-alive, timeouts and streaming (storage-client.ts), replica fan-out and failover
 * (node-calls.ts) and quorum rules (quorum.ts).
 */
export { BackendError, type BackendErrorCode } from './backend-error';
export { type NodePlan, Rings } from './rings';
export {
  type BackendReply,
  type BackendRequest,
  type BackendResponse,
  BackendUpload,
  type NodeAddress,
  type StorageClientOptions,
  type StorageLayer,
  type UploadOpening,
  StorageClient,
  backendHeader,
  readBody,
} from './storage-client';
export { type FirstAnswer, type NodeOutcome, callEachReplica, firstAcceptable, maxNodesTried, newestAcceptable, needsHandoff, outcomeStatus, readOrder } from './node-calls';
export { hasQuorum, quorumSize, quorumStatus } from './quorum';
export { encodeName, storagePath } from './storage-path';
