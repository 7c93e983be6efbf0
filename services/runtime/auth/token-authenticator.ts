/**
 * The authenticator every Weft gRPC server uses once identity exists: reads
 * `authorization: Bearer <token>`, validates it with local crypto against the key repository,
 * applies the revocation set, and yields the typed Caller. No network round trip per call.
 */
import { status as Status, type Metadata } from '@grpc/grpc-js';
import type { TokenPayload } from '../../../proto/gen/weft/identity/v1/token';
import { validateToken, type Clock, type ValidatingKeys } from '../../identity/tokens/token-codec';
import type { Authenticator, Caller } from '../caller';
import { unauthenticated, WeftError } from '../errors';
import type { RevocationSet } from './revocations';

export interface TokenCaller extends Caller {
  domainId: string;
  auditId: string;
  methods: readonly string[];
  token: TokenPayload;
}

export class TokenAuthenticator implements Authenticator {
  constructor(
    private readonly keys: ValidatingKeys,
    private readonly revocations: RevocationSet,
    private readonly clock: Clock,
    /**
     * False until the revocation set is known to be complete (a follower's first list). Until
     * then no token is accepted: a revoked token must never validate, not even during start-up.
     */
    private readonly revocationsReady: () => boolean = () => true,
  ) {}

  authenticate(metadata: Metadata, requestId: string): TokenCaller | WeftError {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return unauthenticated('missing "authorization: Bearer <token>" metadata');
    return this.authenticateToken(header.slice(7).trim(), requestId);
  }

  /** Validates a raw token (also used by ValidateToken and rescoping). */
  authenticateToken(token: string, requestId: string): TokenCaller | WeftError {
    if (!this.revocationsReady()) return new WeftError(Status.UNAVAILABLE, 'revocation list not loaded yet (is the identity service reachable?); retry shortly', { reason: 'REVOCATIONS_NOT_READY' });
    const res = validateToken(token, this.keys, this.clock);
    if (!res.ok) return unauthenticated(res.code === 'expired' ? 'token expired' : 'invalid token');
    const p = res.payload;
    const revoked = this.revocations.check(p);
    if (revoked) return unauthenticated(revoked);
    const roles = p.roles.map((r) => r.toLowerCase());
    return {
      projectId: p.projectId,
      roles,
      userId: p.userId,
      isAdmin: roles.includes('admin'),
      requestId,
      domainId: p.domainId,
      auditId: p.auditId,
      methods: p.methods,
      token: p,
    };
  }
}
