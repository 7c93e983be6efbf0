/**
 * Who is calling: the typed context every handler receives. Produced by an Authenticator at the
 * server boundary; handlers never read auth metadata themselves.
 */
import type { Metadata } from '@grpc/grpc-js';
import { unauthenticated, invalidArgument, type WeftError } from './errors';

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

const PROJECT_RE = /^[A-Za-z0-9_-]{1,64}$/;
const ROLE_RE = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * DEVELOPMENT ONLY: trusts `x-weft-project` and `x-weft-roles` metadata as sent. It authenticates
 * nothing and exists only until the identity service issues real tokens; it is enabled solely by
 * `auth.mode: dev-headers` in the config and logged loudly at start.
 */
export class DevHeaderAuthenticator implements Authenticator {
  authenticate(metadata: Metadata, requestId: string): Caller | WeftError {
    const project = first(metadata, 'x-weft-project');
    if (!project) return unauthenticated('missing x-weft-project metadata (dev-headers auth mode)');
    if (!PROJECT_RE.test(project)) {
      return invalidArgument([{ field: 'x-weft-project', description: 'must be 1-64 characters of [A-Za-z0-9_-]' }]);
    }
    const rolesText = first(metadata, 'x-weft-roles') ?? 'member';
    const roles = rolesText
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
    const bad = roles.find((r) => !ROLE_RE.test(r));
    if (bad !== undefined) return invalidArgument([{ field: 'x-weft-roles', description: `invalid role name "${bad}"` }]);
    return { projectId: project, roles, userId: `dev:${project}`, isAdmin: roles.includes('admin'), requestId };
  }
}

/** Rejects everything: the authenticator when no auth mode is configured. */
export class DenyAllAuthenticator implements Authenticator {
  authenticate(): WeftError {
    return unauthenticated('no authentication is configured on this server');
  }
}

function first(md: Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}
