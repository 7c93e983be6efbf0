/**
 * Transaction ids in Swift's shape, `tx<21 hex random>-<10 hex unix seconds>`: unique per
 * request and sortable by time at a glance in the logs of every server the request touched.
 */
import { randomBytes } from 'node:crypto';

export function newTransId(now: number = Date.now(), random: (n: number) => Buffer = randomBytes): string {
  const rand = random(11).toString('hex').slice(0, 21);
  const secs = Math.floor(now / 1000).toString(16).padStart(10, '0');
  return `tx${rand}-${secs}`;
}
