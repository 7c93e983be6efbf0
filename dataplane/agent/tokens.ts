/**
 * Where the agent's bearer token comes from: sealed locally from the identity key repository
 * (role `service`, short-lived, renewed well before expiry) or a fixed token from the config.
 */
import { KeyRepository } from '../../services/identity/tokens/key-repository';
import { systemClock } from '../../services/identity/tokens/token-codec';
import { sealServiceToken } from '../../services/runtime/auth/service-token';
import type { TokenSource } from './link';

const TTL_MS = 15 * 60 * 1000;
const RENEW_BEFORE_MS = 5 * 60 * 1000;

export class StaticToken implements TokenSource {
  constructor(private readonly value: string) {}
  token(): string {
    return this.value;
  }
}

export class SealedServiceToken implements TokenSource {
  private current = '';
  private expiresMs = 0;

  private constructor(
    private readonly keys: KeyRepository,
    private readonly name: string,
  ) {}

  static async open(keysDir: string, name: string): Promise<SealedServiceToken> {
    return new SealedServiceToken(await KeyRepository.openExisting(keysDir), name);
  }

  token(): string {
    const now = systemClock.now().getTime();
    if (now > this.expiresMs - RENEW_BEFORE_MS) {
      // Keys rotate in the identity service; pick up the current primary for the next renewal.
      void this.keys.reload().catch(() => undefined);
      const sealed = sealServiceToken(this.keys, this.name, systemClock, TTL_MS);
      this.current = sealed.token;
      this.expiresMs = sealed.expiresAtMs;
    }
    return this.current;
  }
}
