/**
 * Errors of the firewall backend. `code` is stable (callers and tests switch on it); messages may
 * change. Codes:
 * - NFT_FAILED: nft exited non-zero or could not be run; `stderr` holds what nft printed.
 * - NFT_TIMEOUT: nft did not finish in time and was killed.
 * - NFT_BAD_OUTPUT: `nft -j` printed something that is not the JSON we expect.
 * - IDS_EXHAUSTED: more than 65535 filtered ports or bridges on one host.
 */
export type FirewallErrorCode = 'NFT_FAILED' | 'NFT_TIMEOUT' | 'NFT_BAD_OUTPUT' | 'IDS_EXHAUSTED';

export class FirewallError extends Error {
  override readonly name = 'FirewallError';
  constructor(
    readonly code: FirewallErrorCode,
    message: string,
    /** nft's stderr, when nft ran. */
    readonly stderr = '',
  ) {
    super(message);
  }
}
