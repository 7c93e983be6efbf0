/**
 * Who is calling: the typed context every handler receives. Produced by an Authenticator at the
 * server boundary; handlers never read auth metadata themselves.
 */
import type { Metadata } from '@grpc/grpc-js';
import { unauthenticated, type WeftError } from './errors';

export interface Caller {
  projectId: string;
  roles: readonly string[];
  userId: string;
  isAdmin: boolean;
  requestId: string;
}

export interface Authenticator {
  /** Returns the caller, or a WeftError (UNAUTHENTICATED / INVALID_ARGUMENT). Must not throw. */
  authenticate(metadata: Metadata, requestId: string): Caller | WeftError;
}

/** Rejects everything: the authenticator when no auth mode is configured. */
export class DenyAllAuthenticator implements Authenticator {
  authenticate(): WeftError {
    return unauthenticated('no authentication is configured on this server');
  }
}
