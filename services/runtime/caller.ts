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

/**
 * Whether the caller's reads (Get/List/Watch) cover every project's resources: admins, and
 * service callers (node agents, peer services), which follow the state of all tenants on their
 * hosts. This widens reads only: mutations keep checking ownership and `isAdmin`, and the shipped
 * policies give `service` no write rule, so a service token cannot change a tenant's resources.
 */
export function readsAllProjects(caller: Caller): boolean {
  return caller.isAdmin || caller.roles.includes('service');
}

/** Rejects everything: the authenticator when no auth mode is configured. */
export class DenyAllAuthenticator implements Authenticator {
  authenticate(): WeftError {
    return unauthenticated('no authentication is configured on this server');
  }
}
