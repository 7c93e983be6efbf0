/**
 * Swift container ACLs (X-Container-Read / X-Container-Write), as Swift's keystoneauth reads
 * them, adapted to Weft identities. Pure: parsing, validation and the questions authorize.ts asks.
 *
 * An ACL is a comma-separated list of elements:
 * - `.r:<host>` (also `.ref:`, `.referer:`, `.referrer:`): requests whose Referer's host matches
 *   may read objects; `*` = anyone (public), `.example.com` = any host under that domain,
 *   `-<host>` = refuse that host (later elements win, as in Swift). Read ACLs only.
 * - `.rlistings`: with a matching `.r:` element, the container may also be listed. Read only.
 * - `<project>:<user>`, `<project>:*`, `*:<user>`, `*:*`: callers matching project and user
 *   (ids, or the user's name when the token carries it).
 * - anything else without a colon: a role name; it grants only to callers whose token is scoped
 *   to the account's own project (keystoneauth's same-tenant role rule).
 *
 * Validation follows Swift's clean_acl: blank elements are dropped, referrer designators are
 * normalized to `.r:`, an unknown `.designator:` or a referrer in a write ACL is an error, and
 * so is a `.r:` without a host. The cleaned string is what gets stored.
 */

export type AclKind = 'read' | 'write';

/** An ACL as evaluated: referrer rules in order, the listing flag, identity and role grants. */
export interface ParsedAcl {
  /** Referrer rules in order, `-` prefixed when negative (e.g. `*`, `.example.com`, `-bad.com`). */
  referrers: readonly string[];
  /** `.rlistings` present. */
  listings: boolean;
  /** `project:user` grants (either side may be `*`). */
  identities: readonly { project: string; user: string }[];
  /** Lower-case role names. */
  roles: readonly string[];
}

export type AclParseResult = { ok: true; acl: ParsedAcl; cleaned: string } | { ok: false; message: string };

/** Swift accepts these spellings of the referrer designator and stores them as `.r`. */
const REFERRER_DESIGNATORS = new Set(['.r', '.ref', '.referer', '.referrer']);

/** Longest ACL header value accepted (Swift bounds it through its metadata limits). */
export const MAX_ACL_LENGTH = 8192;

/**
 * Validates and normalizes an ACL header value. `header` names it in error messages (e.g.
 * 'X-Container-Read'). An empty value is valid: it removes the ACL.
 */
export function parseAcl(kind: AclKind, value: string, header = kind === 'read' ? 'X-Container-Read' : 'X-Container-Write'): AclParseResult {
  if (value.length > MAX_ACL_LENGTH) return { ok: false, message: `${header}: ACL longer than ${MAX_ACL_LENGTH} characters` };
  const cleaned: string[] = [];
  for (const raw of value.split(',')) {
    const element = raw.trim();
    if (!element) continue;
    if (/[\x00-\x1f\x7f]/.test(element)) return { ok: false, message: `${header}: control character in ACL element ${JSON.stringify(element)}` };
    if (element === '.rlistings') {
      if (kind === 'write') return { ok: false, message: `${header}: .rlistings is not allowed in a write ACL` };
      cleaned.push(element);
      continue;
    }
    const colon = element.indexOf(':');
    if (colon < 0) {
      if (element.startsWith('.')) return { ok: false, message: `${header}: unknown designator ${JSON.stringify(element)} in ACL` };
      cleaned.push(element);
      continue;
    }
    const first = element.slice(0, colon).trim();
    let second = element.slice(colon + 1).trim();
    if (!first.startsWith('.')) {
      if (!first || !second) return { ok: false, message: `${header}: ${JSON.stringify(element)} must be <project>:<user> (either may be *)` };
      if (second.includes(':')) return { ok: false, message: `${header}: ${JSON.stringify(element)} has more than one ":"` };
      cleaned.push(`${first}:${second}`);
      continue;
    }
    if (!REFERRER_DESIGNATORS.has(first)) return { ok: false, message: `${header}: unknown designator ${JSON.stringify(first)} in ACL element ${JSON.stringify(element)}` };
    if (kind === 'write') return { ok: false, message: `${header}: referrers are not allowed in a write ACL: ${JSON.stringify(element)}` };
    let negate = false;
    if (second.startsWith('-')) {
      negate = true;
      second = second.slice(1).trim();
    }
    // `*.example.com` means the same as `.example.com` (Swift strips the star).
    if (second !== '*' && second.startsWith('*')) second = second.slice(1).trim();
    if (!second || second === '.') return { ok: false, message: `${header}: no host or domain after the referrer designator in ${JSON.stringify(element)}` };
    cleaned.push(`.r:${negate ? '-' : ''}${second}`);
  }
  const joined = cleaned.join(',');
  return { ok: true, acl: readAcl(joined), cleaned: joined };
}

/**
 * Reads a stored ACL for evaluation. Lenient: it never fails, and an element it cannot read
 * grants nothing (a stored ACL was validated when set; this only guards against bad data).
 */
export function readAcl(value: string | undefined): ParsedAcl {
  const referrers: string[] = [];
  const identities: { project: string; user: string }[] = [];
  const roles: string[] = [];
  let listings = false;
  for (const raw of (value ?? '').split(',')) {
    const element = raw.trim();
    if (!element) continue;
    if (element === '.rlistings') {
      listings = true;
      continue;
    }
    if (element.startsWith('.r:')) {
      const host = element.slice(3).trim();
      if (host && host !== '-') referrers.push(host);
      continue;
    }
    if (element.startsWith('.')) continue;
    const colon = element.indexOf(':');
    if (colon < 0) {
      roles.push(element.toLowerCase());
      continue;
    }
    const project = element.slice(0, colon).trim();
    const user = element.slice(colon + 1).trim();
    if (project && user) identities.push({ project, user });
  }
  return { referrers, listings, identities, roles };
}

/** The host part of a Referer header (lower case), or undefined when there is none. */
export function referrerHost(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    const host = new URL(referer).hostname;
    return host ? host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function hostMatches(rule: string, host: string): boolean {
  const r = rule.toLowerCase();
  return r === host || (r.startsWith('.') && host.endsWith(r));
}

/**
 * Swift's referrer_allowed: the rules apply in order and the last matching one decides, so
 * `.r:*,.r:-bad.example` admits everyone but bad.example. `*` matches even without a Referer.
 */
export function referrerAllowed(acl: ParsedAcl, referer: string | undefined): boolean {
  const host = referrerHost(referer) ?? 'unknown';
  let allow = false;
  for (const rule of acl.referrers) {
    if (rule.startsWith('-')) {
      if (hostMatches(rule.slice(1), host)) allow = false;
    } else if (rule === '*' || hostMatches(rule, host)) {
      allow = true;
    }
  }
  return allow;
}

/** Who asks, as far as ACL grants go. */
export interface AclIdentity {
  projectId: string;
  userId: string;
  userName?: string;
  /** Lower-case role names (on projectId). */
  roles: readonly string[];
  /** True when the token is scoped to the project that owns the account (enables role grants). */
  sameProject: boolean;
}

/** Whether a `project:user` grant, or (same project only) a role grant, names this identity. */
export function aclGrants(acl: ParsedAcl, who: AclIdentity): boolean {
  const users = [who.userId, ...(who.userName ? [who.userName] : [])];
  for (const g of acl.identities) {
    const projectOk = g.project === '*' || (who.projectId !== '' && g.project === who.projectId);
    const userOk = g.user === '*' || users.includes(g.user);
    if (projectOk && userOk) return true;
  }
  return who.sameProject && who.roles.some((r) => acl.roles.includes(r));
}

/** Anonymous or not, may this request read the container's objects (GET/HEAD)? */
export function mayReadObjects(readAcl: ParsedAcl, who: AclIdentity | undefined, referer: string | undefined): boolean {
  if (referrerAllowed(readAcl, referer)) return true;
  return who !== undefined && aclGrants(readAcl, who);
}

/** May this request list the container (GET/HEAD of the container)? `.rlistings` needs a referrer match. */
export function mayListContainer(readAcl: ParsedAcl, who: AclIdentity | undefined, referer: string | undefined): boolean {
  if (readAcl.listings && referrerAllowed(readAcl, referer)) return true;
  return who !== undefined && aclGrants(readAcl, who);
}

/** May this caller write objects (PUT/POST/DELETE)? Never anonymous: write ACLs hold no referrers. */
export function mayWriteObjects(writeAcl: ParsedAcl, who: AclIdentity | undefined): boolean {
  return who !== undefined && aclGrants(writeAcl, who);
}
