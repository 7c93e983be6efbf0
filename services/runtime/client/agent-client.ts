/**
 * A promise-based client for weft.agent.v1.AgentService (node agents, the CLI, tests). Like every
 * Weft client, the address may be `host:port` or `unix:/path/to.sock` (agents inside network
 * namespaces reach the controller through a unix socket).
 */
import { credentials } from '@grpc/grpc-js';
import * as messages from '../../../proto/gen/weft/agent/v1/agent_service';
import { AgentServiceClient } from '../../../proto/gen/weft/agent/v1/agent_service';
import { promisify, type Credentials, type Promisified } from './promisify';

export type AgentApi = Promisified<AgentServiceClient> & {
  raw: AgentServiceClient;
  /** The x-request-id of the last completed call. */
  lastRequestId(): string | undefined;
  close(): void;
};

export function connectAgent(address: string, creds: Credentials): AgentApi {
  const raw = new AgentServiceClient(address, credentials.createInsecure());
  return promisify(raw, messages, creds) as unknown as AgentApi;
}
