/**
 * The agent's connection to the controller: a network client (List/Watch) and an agent client
 * (register, heartbeat, status), both carrying a token from a TokenSource. Clients are rebuilt
 * when the token changes, so a long-running agent never calls with an expired token.
 */
import { connectAgent, type AgentApi } from '../../services/runtime/client/agent-client';
import { connectNetwork, type NetworkApi } from '../../services/runtime/client/network-client';

export interface TokenSource {
  /** A token valid for at least a few minutes more. */
  token(): string;
}

export class ControllerLink {
  private net: NetworkApi | undefined;
  private agentApi: AgentApi | undefined;
  private tokenInUse = '';

  constructor(
    private readonly address: string,
    private readonly tokens: TokenSource,
  ) {}

  private refresh(): void {
    const token = this.tokens.token();
    if (token === this.tokenInUse && this.net && this.agentApi) return;
    // Old clients get a grace period for their in-flight unary calls, then are closed (a closed
    // channel lets a running Watch stream go on; new calls use the new clients).
    const oldNet = this.net;
    const oldAgents = this.agentApi;
    if (oldNet || oldAgents) {
      setTimeout(() => {
        oldNet?.close();
        oldAgents?.close();
      }, 30_000).unref();
    }
    this.tokenInUse = token;
    this.net = connectNetwork(this.address, { token });
    this.agentApi = connectAgent(this.address, { token });
  }

  network(): NetworkApi {
    this.refresh();
    return this.net!;
  }

  agents(): AgentApi {
    this.refresh();
    return this.agentApi!;
  }

  close(): void {
    this.net?.close();
    this.agentApi?.close();
  }
}
