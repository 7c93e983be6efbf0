/** Pure readers of ping and tcpdump output (unit-tested; the tools' formats are iputils' and tcpdump 4.x's). */

/** "5 packets transmitted, 4 received, ..." → counts (zeros when ping never got that far). */
export function parsePingSummary(text: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  return m ? { sent: Number(m[1]), received: Number(m[2]) } : { sent: 0, received: 0 };
}

/** "N packets captured" from tcpdump's exit summary on stderr, or null. */
export function parseCaptureCount(stderr: string): number | null {
  const m = /(\d+) packets? captured/.exec(stderr);
  return m ? Number(m[1]) : null;
}

export interface ContinuousPingResult {
  /** Echo requests counted (1..cutoff). */
  sent: number;
  received: number;
  /** Sequence numbers in 1..cutoff that never got a reply, ascending. */
  lostSeqs: number[];
}

/**
 * Follows `ping -O` output line by line. A sequence number is known to be sent once a reply or a
 * "no answer yet" line names it (-O prints that when the next request goes out unanswered), so at
 * any moment `highestSent()` is a sequence number ping certainly sent; counting only up to it
 * keeps the request still in flight when the ping is stopped from being counted as lost.
 * Sequence numbers are assumed not to wrap (65,536 requests; 11 min at 10 ms).
 */
export class PingTally {
  private readonly replied = new Set<number>();
  private highest = 0;

  feed(line: string): void {
    const m = /icmp_seq=(\d+)/.exec(line);
    if (!m) return;
    const seq = Number(m[1]);
    if (seq > this.highest) this.highest = seq;
    // Error replies ("Destination Host Unreachable") name a seq too, but are not echo replies.
    if (/bytes from/.test(line)) this.replied.add(seq);
  }

  highestSent(): number {
    return this.highest;
  }

  /** The tally over 1..cutoff (default: everything known sent). */
  result(cutoff = this.highest): ContinuousPingResult {
    const lostSeqs: number[] = [];
    let received = 0;
    for (let seq = 1; seq <= cutoff; seq++) {
      if (this.replied.has(seq)) received++;
      else lostSeqs.push(seq);
    }
    return { sent: cutoff, received, lostSeqs };
  }
}
