import { randomBytes } from 'node:crypto';

/**
 * A Swift-shaped transaction id (`tx` + 21 hex chars + `-` + the time in hex seconds), so a
 * gRPC call can be followed through the storage servers' logs exactly like an HTTP request.
 */
export function newTransId(nowMs: number = Date.now()): string {
  const rand = randomBytes(11).toString('hex').slice(0, 21);
  return `tx${rand}-${Math.floor(nowMs / 1000).toString(16).padStart(10, '0')}`;
}
