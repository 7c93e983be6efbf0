/**
 * Wires the proxy's token auth to the outside world: opens the token key repository the
 * identity service writes, follows identity's revocation feed (like the network controller),
 * and connects to identity for /auth/v1.0 logins. proxyAuthFor(ctx) gives the middleware and the
 * login handler for the HTTP face; undefined in mode 'none' (auth disabled).
 */
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { KeyRepository } from '../../../identity/tokens/key-repository';
import { systemClock, type Clock } from '../../../identity/tokens/token-codec';
import { RevocationFollower } from '../../../runtime/auth/revocation-follower';
import { RevocationSet } from '../../../runtime/auth/revocations';
import { TokenAuthenticator } from '../../../runtime/auth/token-authenticator';
import { connectIdentity, type IdentityApi } from '../../../runtime/client/identity-client';
import { WeftError } from '../../../runtime/errors';
import type { Logger } from '../../../runtime/log';
import type { Middleware, ProxyResponse } from '../app/types';
import type { ProxyAuthConfig } from '../config';
import { callerFromToken, createAuthMiddleware } from './middleware';
import { handleAuthRequest, LoginError, type Login } from './tempauth';

export type { ProxyAuthConfig };

export interface ProxyAuth {
  middleware: Middleware;
  /** GET /auth/v1.0: request headers (lower-case names) → response. */
  handleAuthRequest(headers: Record<string, string>): Promise<ProxyResponse>;
  /** True once the revocation list is loaded (tokens are refused with 503 before). */
  isReady(): boolean;
  /** Waits (at most timeoutMs) for the revocation list; resolves whether it came. */
  ready(timeoutMs: number): Promise<boolean>;
  /** Counters: tokens accepted, refused (401), refused while not ready (503); requests denied. */
  readonly stats: { accepted: number; rejected: number; unavailable: number; denied: number };
  stop(): void;
}

const LOGIN_DEADLINE_MS = 10_000;

/** Password login through identity's IssueToken, with its errors mapped to LoginError. */
export function identityLogin(api: IdentityApi): Login {
  return async ({ projectName, userName, password }) => {
    try {
      const res = await api.issueToken({ method: { $case: 'password', value: { userName, password } }, scope: { projectName } }, { deadlineMs: LOGIN_DEADLINE_MS });
      if (!res.info?.projectId || !res.info.expiresAt) throw new LoginError('DENIED', 'identity returned an unscoped token');
      return { token: res.token, projectId: res.info.projectId, expiresAt: res.info.expiresAt };
    } catch (err) {
      if (err instanceof LoginError) throw err;
      const code = (err as ServiceError).code;
      if (code === Status.UNAUTHENTICATED || code === Status.INVALID_ARGUMENT || code === Status.NOT_FOUND || code === Status.PERMISSION_DENIED) throw new LoginError('DENIED', (err as ServiceError).details ?? 'denied');
      throw new LoginError('UNAVAILABLE', (err as ServiceError).details ?? String(err));
    }
  };
}

/** What the auth wiring needs from the proxy (a ProxyContext is one). */
export interface AuthHost {
  config: { auth: ProxyAuthConfig; listen: string };
  logger: Logger;
}

/**
 * Token auth for one proxy process. Construction is synchronous (so the pipeline can be built
 * synchronously); the key repository and the revocation feed come up in the background, and
 * until they do every token is refused with 503 (never accepted unchecked). A repository that is
 * not there yet (identity not started) is retried every second.
 */
class TokenAuth implements ProxyAuth {
  private authenticator: TokenAuthenticator | undefined;
  private follower: RevocationFollower | undefined;
  private keyReload: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly identity: IdentityApi;
  private readonly clock: Clock;
  readonly middleware: Middleware;
  readonly stats = { accepted: 0, rejected: 0, unavailable: 0, denied: 0 };

  constructor(
    private readonly config: ProxyAuthConfig,
    private readonly logger: Logger,
    private readonly publicHost: string,
    clock: Clock,
  ) {
    this.clock = clock;
    this.identity = connectIdentity(config.identityUrl);
    this.middleware = createAuthMiddleware({
      rules: config,
      authenticate: (token, transId) => {
        if (!this.authenticator) {
          this.stats.unavailable++;
          return { status: 503, message: 'token keys not loaded yet (is the identity service running?); retry shortly' };
        }
        const res = this.authenticator.authenticateToken(token, transId);
        if (res instanceof WeftError) {
          const unavailable = res.code === Status.UNAVAILABLE;
          this.stats[unavailable ? 'unavailable' : 'rejected']++;
          return { status: unavailable ? 503 : 401, message: res.message };
        }
        this.stats.accepted++;
        return callerFromToken(res, token, config);
      },
      onDeny: (req, reason) => {
        this.stats.denied++;
        logger.debug('request denied', { trans_id: req.transId, method: req.method, account: req.account, container: req.container, reason });
      },
    });
    void this.init();
  }

  private async init(): Promise<void> {
    if (this.stopped) return;
    let keys: KeyRepository;
    try {
      keys = await KeyRepository.openExisting(this.config.keysDir);
    } catch (err) {
      this.logger.warn('token key repository not readable yet; retrying', { keys_dir: this.config.keysDir, error: String(err) });
      this.retry = setTimeout(() => void this.init(), 1000);
      this.retry.unref();
      return;
    }
    if (this.stopped) return;
    // Identity rotates keys in the shared repository; re-read it to follow.
    this.keyReload = setInterval(() => keys.reload().catch((err: unknown) => this.logger.warn('key repository reload failed', { error: String(err) })), 10_000);
    this.keyReload.unref();
    const revocations = new RevocationSet();
    const follower = new RevocationFollower({ identityAddress: this.config.identityUrl, serviceName: 'object-proxy', keys, revocations, clock: this.clock, logger: this.logger });
    this.follower = follower;
    follower.start();
    this.authenticator = new TokenAuthenticator(keys, revocations, this.clock, () => follower.isSynced);
    this.logger.info('object proxy token authentication', { keys_dir: this.config.keysDir, identity: this.config.identityUrl });
  }

  isReady(): boolean {
    return !!this.follower?.isSynced;
  }

  async ready(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isReady() && Date.now() < deadline && !this.stopped) await new Promise((r) => setTimeout(r, 50));
    if (!this.isReady()) this.logger.warn('identity revocation feed not reachable yet; refusing tokens until it is', { identity: this.config.identityUrl });
    return this.isReady();
  }

  handleAuthRequest(headers: Record<string, string>): Promise<ProxyResponse> {
    return handleAuthRequest({ login: identityLogin(this.identity), resellerPrefix: this.config.resellerPrefix, now: () => this.clock.now().getTime(), defaultHost: this.publicHost }, headers);
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.keyReload) clearInterval(this.keyReload);
    this.follower?.stop();
    this.identity.close();
  }
}

const perHost = new WeakMap<AuthHost, ProxyAuth | null>();

/**
 * The proxy's auth, one per proxy context (memoized, so the pipeline and main.ts share it);
 * undefined in mode 'none' (auth disabled: no middleware, no /auth/v1.0).
 */
export function proxyAuthFor(host: AuthHost, clock: Clock = systemClock): ProxyAuth | undefined {
  let auth = perHost.get(host);
  if (auth === undefined) {
    if (host.config.auth.mode === 'none') {
      host.logger.warn('object proxy auth.mode is none: every request is allowed, /auth/v1.0 is not served');
      auth = null;
    } else {
      auth = new TokenAuth(host.config.auth, host.logger, host.config.listen, clock);
    }
    perHost.set(host, auth);
  }
  return auth ?? undefined;
}

/** The pipeline's auth middleware: token auth, or a pass-through in mode 'none'. */
export function authMiddleware(host: AuthHost): Middleware {
  return proxyAuthFor(host)?.middleware ?? ((next) => next);
}
