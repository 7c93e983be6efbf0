/**
 * A promise-based client for weft.identity.v1.IdentityService (CLI, services, tests).
 */
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import * as messages from '../../../proto/gen/weft/identity/v1/identity_service';
import { IdentityServiceClient, type WatchRevocationEventsRequest, type WatchRevocationEventsResponse } from '../../../proto/gen/weft/identity/v1/identity_service';
import { metadataFor, promisify, type Credentials, type Partial2, type Promisified } from './promisify';

export type IdentityApi = Promisified<IdentityServiceClient, 'watchRevocationEvents'> & {
  watchRevocationEvents(req: Partial2<WatchRevocationEventsRequest>): ClientReadableStream<WatchRevocationEventsResponse>;
  raw: IdentityServiceClient;
  lastRequestId(): string | undefined;
  close(): void;
};

export function connectIdentity(address: string, creds: Credentials = {}): IdentityApi {
  const raw = new IdentityServiceClient(address, credentials.createInsecure());
  const api = promisify(raw, messages, creds, ['watchRevocationEvents']);
  api.watchRevocationEvents = (req: Partial2<WatchRevocationEventsRequest>) => raw.watchRevocationEvents(messages.WatchRevocationEventsRequest.fromPartial(req), metadataFor(creds));
  return api as unknown as IdentityApi;
}
