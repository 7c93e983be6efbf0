/**
 * Self-sealed service tokens. A process that holds the token key repository is a trusted peer: it
 * can validate tokens, and therefore could mint them, so instead of keeping a service password it
 * seals its own short-lived token (user `svc:<name>`, role `service`, no project). Identity's and
 * the controller's policies give role:service the reads and agent calls it needs and nothing else.
 */
import { issueToken, newAuditId, type Clock, type IssuingKeys } from '../../identity/tokens/token-codec';

export interface ServiceToken {
  token: string;
  /** When the token stops validating (ms since the epoch); renew well before. */
  expiresAtMs: number;
}

/** Seals a token for `svc:<serviceName>` with role `service`, valid for `ttlMs` from now. */
export function sealServiceToken(keys: IssuingKeys, serviceName: string, clock: Clock, ttlMs: number): ServiceToken {
  const now = clock.now().getTime();
  const expiresAtMs = now + ttlMs;
  const token = issueToken(
    {
      version: 0,
      userId: `svc:${serviceName}`,
      projectId: '',
      domainId: '',
      roles: ['service'],
      methods: ['service'],
      issuedAtMs: now,
      expiresAtMs,
      auditId: newAuditId(),
      auditChain: [],
      appCredId: '',
    },
    keys,
    clock,
  );
  return { token, expiresAtMs };
}
