/**
 * Agent liveness, kept in memory only. Heartbeats arrive every couple of seconds from every node;
 * writing each to LevelDB (and to the change feed) would turn the controller's disk and every
 * watcher into a heartbeat sink. The price is that a restarted controller knows no heartbeats:
 * every agent is dead until its next one, which is at most one interval away.
 */
import type { AgentStats } from '../../../proto/gen/weft/agent/v1/agent_service';
import type { Clock } from '../state';

interface Beat {
  atMs: number;
  stats?: AgentStats;
}

export class Liveness {
  private readonly beats = new Map<string, Beat>();

  constructor(
    private readonly downTimeMs: number,
    private readonly clock: Clock,
  ) {}

  /** Records a heartbeat; `revived` when the agent was dead (or unknown) just before. */
  beat(agentId: string, stats?: AgentStats): { revived: boolean } {
    const revived = !this.alive(agentId);
    const prev = this.beats.get(agentId);
    this.beats.set(agentId, { atMs: this.clock.now().getTime(), stats: stats ?? prev?.stats });
    return { revived };
  }

  alive(agentId: string): boolean {
    const b = this.beats.get(agentId);
    return !!b && this.clock.now().getTime() - b.atMs <= this.downTimeMs;
  }

  lastBeat(agentId: string): Date | undefined {
    const b = this.beats.get(agentId);
    return b ? new Date(b.atMs) : undefined;
  }

  stats(agentId: string): AgentStats | undefined {
    return this.beats.get(agentId)?.stats;
  }

  forget(agentId: string): void {
    this.beats.delete(agentId);
  }
}
