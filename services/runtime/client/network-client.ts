/**
 * A promise-based client for weft.network.v1.NetworkService, shared by the CLI, benchmarks and
 * tests. Credentials are attached as call metadata (development project/role headers, or a token).
 */
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';
import * as messages from '../../../proto/gen/weft/network/v1/network_service';
import { NetworkServiceClient, type WatchRequest, type WatchResponse } from '../../../proto/gen/weft/network/v1/network_service';
import { metadataFor, promisify, type Credentials, type Partial2, type Promisified } from './promisify';

export { metadataFor, type Credentials, type Partial2 } from './promisify';

export type NetworkApi = Promisified<NetworkServiceClient, 'watch'> & {
  watch(req: Partial2<WatchRequest>): ClientReadableStream<WatchResponse>;
  raw: NetworkServiceClient;
  /** The x-request-id of the last completed call (for logs and error reports). */
  lastRequestId(): string | undefined;
  close(): void;
};

export function connectNetwork(address: string, creds: Credentials): NetworkApi {
  const raw = new NetworkServiceClient(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const api = promisify(raw, messages, creds, ['watch']);
  api.watch = (req: Partial2<WatchRequest>) => raw.watch(messages.WatchRequest.fromPartial(req), metadataFor(creds));
  return api as unknown as NetworkApi;
}
