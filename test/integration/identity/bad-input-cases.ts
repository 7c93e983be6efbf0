/**
 * Malformed requests for every unary RPC of weft.identity.v1.IdentityService, each with the
 * exact set of fields its google.rpc.BadRequest must name. bad-input.test.ts runs them.
 *
 * The table's type is derived from the generated service definition: an RPC added to the proto
 * needs a row here (or an entry in EXEMPT saying why it takes no validatable input) before this
 * file compiles cleanly, and the coverage test in bad-input.test.ts fails at run time too.
 *
 * Identity requests have no enum fields, so "unknown enum value" has no case; every other kind of
 * bad input an RPC can receive is here: missing or malformed ids, names that are empty, too long,
 * or hold control characters or "/", bad tags, oversized descriptions, passwords and tokens,
 * update masks naming fields that cannot change, negative page sizes, page tokens from another
 * list or garbage, filters no resource can match, expiry in the past, fields that contradict
 * each other.
 */
import type { IdentityServiceService } from '../../../proto/gen/weft/identity/v1/identity_service';
import type { IdentityApi } from '../../../services/runtime/client/identity-client';

type Service = typeof IdentityServiceService;
/** Names of the unary RPCs, as the generated client spells them (createDomain, ...). */
export type UnaryRpc = { [K in keyof Service]: Service[K]['responseStream'] extends true ? never : K }[keyof Service] & keyof IdentityApi;
export type RequestOf<K extends UnaryRpc> = Parameters<IdentityApi[K]>[0];

/** Resources the cases point at, made once before the table runs. */
export interface Fixtures {
  defaultDomainId: string;
  domainId: string;
  projectId: string;
  userId: string;
  userName: string;
  userPassword: string;
  groupId: string;
  roleId: string;
  memberRoleId: string;
  appCredId: string;
  endpointId: string;
  /** A real next_page_token from ListDomains: foreign to every other list. */
  domainsPageToken: string;
  /** A real next_page_token from ListRoles: foreign to ListDomains. */
  rolesPageToken: string;
}

export interface BadCase<K extends UnaryRpc> {
  why: string;
  req(f: Fixtures): RequestOf<K>;
  /** Every field the BadRequest names, and nothing else. */
  fields: string[];
}

/** Unary RPCs with nothing to validate, and why. */
export const EXEMPT = {
  listRevocationEvents: 'ListRevocationEventsRequest has no fields',
} as const satisfies Partial<Record<UnaryRpc, string>>;

type Covered = Exclude<UnaryRpc, keyof typeof EXEMPT>;

/** An id that is not a UUID, one that is almost one, and one with upper case (ids are lower case). */
const NOT_IDS = ['not-a-uuid', '00000000-0000-4000-8000-00000000000', '00000000-0000-4000-8000-0000000000FF'];
/** A well-formed id that names nothing. */
const NO_SUCH_ID = '00000000-0000-4000-8000-0000000000ff';
const CTRL = 'bad\u0000name';
const NEWLINE = 'two\nlines';
const LONG_NAME = 'n'.repeat(65);
const OVER_255 = 'x'.repeat(256);
/** 513 two-byte characters: under 1024 characters, over 1024 bytes. */
const OVER_1024_BYTES = 'é'.repeat(513);
const BAD_TAGS: { tags: string[]; fields: (f: string) => string[]; why: string }[] = [
  { why: 'a tag with a comma, an empty tag and a 61-character tag', tags: ['a,b', '', 't'.repeat(61)], fields: (f) => [`${f}[0]`, `${f}[1]`, `${f}[2]`] },
  { why: 'a repeated tag', tags: ['same', 'same'], fields: (f) => [f] },
  { why: 'more than 50 tags', tags: Array.from({ length: 51 }, (_, i) => `t${i}`), fields: (f) => [f] },
  { why: 'a tag with a control character', tags: ['tab\there'], fields: (f) => [`${f}[0]`] },
];
const PAST = new Date('2001-01-01T00:00:00Z');

/** Names for domains, projects, users and groups: 1-64 characters, no control characters or "/". */
function badNames<K extends UnaryRpc>(field: string, build: (f: Fixtures, name: string) => RequestOf<K>): BadCase<K>[] {
  return [
    { why: 'an empty name', req: (f) => build(f, ''), fields: [field] },
    { why: 'a 65-character name', req: (f) => build(f, LONG_NAME), fields: [field] },
    { why: 'a name with NUL', req: (f) => build(f, CTRL), fields: [field] },
    { why: 'a name with a newline', req: (f) => build(f, NEWLINE), fields: [field] },
    { why: 'a name with "/"', req: (f) => build(f, 'a/b'), fields: [field] },
  ];
}

function badTags<K extends UnaryRpc>(field: string, build: (f: Fixtures, tags: string[]) => RequestOf<K>): BadCase<K>[] {
  return BAD_TAGS.map((t) => ({ why: t.why, req: (f: Fixtures) => build(f, t.tags), fields: t.fields(field) }));
}

/** An id parameter that is empty or not a UUID. */
function badIds<K extends UnaryRpc>(field: string, build: (f: Fixtures, id: string) => RequestOf<K>, required = true): BadCase<K>[] {
  const cases: BadCase<K>[] = NOT_IDS.map((id) => ({ why: `${field} "${id}"`, req: (f: Fixtures) => build(f, id), fields: [field] }));
  if (required) cases.unshift({ why: `no ${field}`, req: (f) => build(f, ''), fields: [field] });
  return cases;
}

/** page_size and page_token of a List RPC; `foreign` picks a real token some other list issued. */
function badPaging<K extends UnaryRpc>(build: (f: Fixtures, p: { pageSize?: number; pageToken?: string }) => RequestOf<K>, foreign: (f: Fixtures) => string): BadCase<K>[] {
  return [
    { why: 'a negative page_size', req: (f) => build(f, { pageSize: -1 }), fields: ['page_size'] },
    { why: 'a garbage page_token', req: (f) => build(f, { pageToken: 'not a token' }), fields: ['page_token'] },
    { why: 'a base64 page_token that is not one of ours', req: (f) => build(f, { pageToken: Buffer.from('{"a":"x"}').toString('base64url') }), fields: ['page_token'] },
    { why: "another list's page_token", req: (f) => build(f, { pageToken: foreign(f) }), fields: ['page_token'] },
    { why: 'a negative page_size and a garbage page_token', req: (f) => build(f, { pageSize: -5, pageToken: '!!' }), fields: ['page_size', 'page_token'] },
  ];
}

/** update_mask problems of an Update RPC whose resource is otherwise fine. */
function badMasks<K extends UnaryRpc>(build: (f: Fixtures, mask: string[] | undefined) => RequestOf<K>, readOnly: string[]): BadCase<K>[] {
  return [
    { why: 'no update_mask', req: (f) => build(f, undefined), fields: ['update_mask'] },
    ...readOnly.map((path) => ({ why: `update_mask "${path}"`, req: (f: Fixtures) => build(f, [path]), fields: ['update_mask'] })),
    { why: 'an update_mask path that is no field', req: (f) => build(f, ['no_such_field']), fields: ['update_mask'] },
  ];
}

const pwLogin = (f: Fixtures) => ({ $case: 'password' as const, value: { userName: f.userName, password: f.userPassword } });

export const CASES: { [K in Covered]: BadCase<K>[] } = {
  // ---------- domains ----------
  createDomain: [
    ...badNames('domain.name', (_f, name) => ({ domain: { name } })),
    { why: 'no domain at all', req: () => ({}), fields: ['domain.name'] },
    { why: 'a 256-character description', req: () => ({ domain: { name: 'bi-new', description: OVER_255 } }), fields: ['domain.description'] },
    ...badTags('domain.tags', (_f, tags) => ({ domain: { name: 'bi-new', tags } })),
    { why: 'every field wrong at once', req: () => ({ domain: { name: '', description: OVER_255, tags: ['a,b'] } }), fields: ['domain.name', 'domain.description', 'domain.tags[0]'] },
  ],
  getDomain: badIds('id', (_f, id) => ({ id })),
  listDomains: [
    ...badPaging((_f, p) => p, (f) => f.rolesPageToken),
    { why: 'a name filter with a control character', req: () => ({ name: CTRL }), fields: ['name'] },
    { why: 'a 256-character name filter', req: () => ({ name: OVER_255 }), fields: ['name'] },
    ...badTags('tags', (_f, tags) => ({ tags })),
    { why: 'a bad filter and a bad page_size', req: () => ({ name: NEWLINE, pageSize: -1 }), fields: ['name', 'page_size'] },
  ],
  updateDomain: [
    ...badIds('domain.id', (_f, id) => ({ domain: { id, description: 'x' }, updateMask: ['description'] })),
    ...badMasks((f, updateMask) => ({ domain: { id: f.domainId, description: 'x' }, updateMask }), ['id', 'revision_number', 'created_at']),
    ...badNames('domain.name', (f, name) => ({ domain: { id: f.domainId, name }, updateMask: ['name'] })),
    { why: 'a 256-character description', req: (f) => ({ domain: { id: f.domainId, description: OVER_255 }, updateMask: ['description'] }), fields: ['domain.description'] },
    ...badTags('domain.tags', (f, tags) => ({ domain: { id: f.domainId, tags }, updateMask: ['tags'] })),
    { why: 'no domain at all', req: () => ({ updateMask: ['name'] }), fields: ['domain.id', 'domain.name'] },
    {
      why: 'every field wrong at once',
      req: () => ({ domain: { id: 'nope', name: '', tags: ['a,b'] }, updateMask: ['name', 'tags', 'nope'] }),
      fields: ['domain.id', 'domain.name', 'domain.tags[0]', 'update_mask'],
    },
  ],
  deleteDomain: badIds('id', (_f, id) => ({ id })),

  // ---------- projects ----------
  createProject: [
    ...badNames('project.name', (_f, name) => ({ project: { name } })),
    { why: 'a 256-character description', req: () => ({ project: { name: 'bi-new', description: OVER_255 } }), fields: ['project.description'] },
    ...badTags('project.tags', (_f, tags) => ({ project: { name: 'bi-new', tags } })),
    ...badIds('project.domain_id', (_f, domainId) => ({ project: { name: 'bi-new', domainId } }), false),
    { why: 'a domain_id that names no domain', req: () => ({ project: { name: 'bi-new', domainId: NO_SUCH_ID } }), fields: ['project.domain_id'] },
  ],
  getProject: badIds('id', (_f, id) => ({ id })),
  listProjects: [
    ...badPaging((_f, p) => p, (f) => f.domainsPageToken),
    { why: 'a name filter with a control character', req: () => ({ name: CTRL }), fields: ['name'] },
    ...badTags('tags', (_f, tags) => ({ tags })),
    ...badIds('domain_id', (_f, domainId) => ({ domainId }), false),
  ],
  updateProject: [
    ...badIds('project.id', (_f, id) => ({ project: { id, description: 'x' }, updateMask: ['description'] })),
    ...badMasks((f, updateMask) => ({ project: { id: f.projectId, description: 'x' }, updateMask }), ['id', 'domain_id', 'revision_number']),
    ...badNames('project.name', (f, name) => ({ project: { id: f.projectId, name }, updateMask: ['name'] })),
    { why: 'a 256-character description', req: (f) => ({ project: { id: f.projectId, description: OVER_255 }, updateMask: ['description'] }), fields: ['project.description'] },
    ...badTags('project.tags', (f, tags) => ({ project: { id: f.projectId, tags }, updateMask: ['tags'] })),
  ],
  deleteProject: badIds('id', (_f, id) => ({ id })),

  // ---------- users ----------
  createUser: [
    ...badNames('user.name', (_f, name) => ({ user: { name, password: 'pw' } })),
    { why: 'a 256-character description', req: () => ({ user: { name: 'bi-new', description: OVER_255 } }), fields: ['user.description'] },
    ...badTags('user.tags', (_f, tags) => ({ user: { name: 'bi-new', tags } })),
    { why: 'a password over 1024 bytes', req: () => ({ user: { name: 'bi-new', password: OVER_1024_BYTES } }), fields: ['user.password'] },
    ...badIds('user.domain_id', (_f, domainId) => ({ user: { name: 'bi-new', domainId } }), false),
    { why: 'a domain_id that names no domain', req: () => ({ user: { name: 'bi-new', domainId: NO_SUCH_ID } }), fields: ['user.domain_id'] },
    ...badIds('user.default_project_id', (_f, defaultProjectId) => ({ user: { name: 'bi-new', defaultProjectId } }), false),
    { why: 'a default_project_id that names no project', req: () => ({ user: { name: 'bi-new', defaultProjectId: NO_SUCH_ID } }), fields: ['user.default_project_id'] },
  ],
  getUser: badIds('id', (_f, id) => ({ id })),
  listUsers: [
    ...badPaging((_f, p) => p, (f) => f.domainsPageToken),
    { why: 'a name filter with a control character', req: () => ({ name: CTRL }), fields: ['name'] },
    ...badTags('tags', (_f, tags) => ({ tags })),
    ...badIds('domain_id', (_f, domainId) => ({ domainId }), false),
    ...badIds('group_id', (_f, groupId) => ({ groupId }), false),
  ],
  updateUser: [
    ...badIds('user.id', (_f, id) => ({ user: { id, description: 'x' }, updateMask: ['description'] })),
    ...badMasks((f, updateMask) => ({ user: { id: f.userId, description: 'x' }, updateMask }), ['id', 'domain_id', 'revision_number']),
    ...badNames('user.name', (f, name) => ({ user: { id: f.userId, name }, updateMask: ['name'] })),
    { why: 'an empty password', req: (f) => ({ user: { id: f.userId, password: '' }, updateMask: ['password'] }), fields: ['user.password'] },
    { why: 'a password over 1024 bytes', req: (f) => ({ user: { id: f.userId, password: OVER_1024_BYTES }, updateMask: ['password'] }), fields: ['user.password'] },
    { why: 'a 256-character description', req: (f) => ({ user: { id: f.userId, description: OVER_255 }, updateMask: ['description'] }), fields: ['user.description'] },
    ...badTags('user.tags', (f, tags) => ({ user: { id: f.userId, tags }, updateMask: ['tags'] })),
    ...badIds('user.default_project_id', (f, defaultProjectId) => ({ user: { id: f.userId, defaultProjectId }, updateMask: ['default_project_id'] }), false),
    { why: 'a default_project_id that names no project', req: (f) => ({ user: { id: f.userId, defaultProjectId: NO_SUCH_ID }, updateMask: ['default_project_id'] }), fields: ['user.default_project_id'] },
    { why: 'a new password and a bad name: the password must not change either', req: (f) => ({ user: { id: f.userId, name: '', password: 'changed' }, updateMask: ['name', 'password'] }), fields: ['user.name'] },
  ],
  deleteUser: badIds('id', (_f, id) => ({ id })),

  // ---------- groups ----------
  createGroup: [
    ...badNames('group.name', (_f, name) => ({ group: { name } })),
    { why: 'a 256-character description', req: () => ({ group: { name: 'bi-new', description: OVER_255 } }), fields: ['group.description'] },
    ...badTags('group.tags', (_f, tags) => ({ group: { name: 'bi-new', tags } })),
    ...badIds('group.domain_id', (_f, domainId) => ({ group: { name: 'bi-new', domainId } }), false),
    { why: 'a domain_id that names no domain', req: () => ({ group: { name: 'bi-new', domainId: NO_SUCH_ID } }), fields: ['group.domain_id'] },
  ],
  getGroup: badIds('id', (_f, id) => ({ id })),
  listGroups: [
    ...badPaging((_f, p) => p, (f) => f.domainsPageToken),
    { why: 'a name filter with a control character', req: () => ({ name: CTRL }), fields: ['name'] },
    ...badTags('tags', (_f, tags) => ({ tags })),
    ...badIds('domain_id', (_f, domainId) => ({ domainId }), false),
    ...badIds('user_id', (_f, userId) => ({ userId }), false),
  ],
  updateGroup: [
    ...badIds('group.id', (_f, id) => ({ group: { id, description: 'x' }, updateMask: ['description'] })),
    ...badMasks((f, updateMask) => ({ group: { id: f.groupId, description: 'x' }, updateMask }), ['id', 'domain_id', 'revision_number']),
    ...badNames('group.name', (f, name) => ({ group: { id: f.groupId, name }, updateMask: ['name'] })),
    { why: 'a 256-character description', req: (f) => ({ group: { id: f.groupId, description: OVER_255 }, updateMask: ['description'] }), fields: ['group.description'] },
    ...badTags('group.tags', (f, tags) => ({ group: { id: f.groupId, tags }, updateMask: ['tags'] })),
  ],
  deleteGroup: badIds('id', (_f, id) => ({ id })),
  addUserToGroup: [
    ...badIds('group_id', (f, groupId) => ({ groupId, userId: f.userId })),
    ...badIds('user_id', (f, userId) => ({ groupId: f.groupId, userId })),
    { why: 'neither id', req: () => ({}), fields: ['group_id', 'user_id'] },
  ],
  removeUserFromGroup: [
    ...badIds('group_id', (f, groupId) => ({ groupId, userId: f.userId })),
    ...badIds('user_id', (f, userId) => ({ groupId: f.groupId, userId })),
    { why: 'neither id', req: () => ({}), fields: ['group_id', 'user_id'] },
  ],

  // ---------- roles ----------
  createRole: [
    { why: 'an empty name', req: () => ({ role: { name: '' } }), fields: ['role.name'] },
    { why: 'an upper-case name', req: () => ({ role: { name: 'Auditor' } }), fields: ['role.name'] },
    { why: 'a name starting with a digit', req: () => ({ role: { name: '1st' } }), fields: ['role.name'] },
    { why: 'a 33-character name', req: () => ({ role: { name: 'r'.repeat(33) } }), fields: ['role.name'] },
    { why: 'a name with a control character', req: () => ({ role: { name: 'a\tb' } }), fields: ['role.name'] },
    { why: 'no role at all', req: () => ({}), fields: ['role.name'] },
    { why: 'a 256-character description', req: () => ({ role: { name: 'bi-new', description: OVER_255 } }), fields: ['role.description'] },
  ],
  getRole: badIds('id', (_f, id) => ({ id })),
  listRoles: [
    ...badPaging((_f, p) => p, (f) => f.domainsPageToken),
    { why: 'a name filter with a control character', req: () => ({ name: CTRL }), fields: ['name'] },
    { why: 'a tags filter (roles have no tags)', req: () => ({ tags: ['x'] }), fields: ['tags'] },
  ],
  updateRole: [
    ...badIds('role.id', (_f, id) => ({ role: { id, description: 'x' }, updateMask: ['description'] })),
    ...badMasks((f, updateMask) => ({ role: { id: f.roleId, description: 'x' }, updateMask }), ['id', 'revision_number', 'tags']),
    { why: 'an upper-case name', req: (f) => ({ role: { id: f.roleId, name: 'Loud' }, updateMask: ['name'] }), fields: ['role.name'] },
    { why: 'an empty name', req: (f) => ({ role: { id: f.roleId, name: '' }, updateMask: ['name'] }), fields: ['role.name'] },
    { why: 'a 256-character description', req: (f) => ({ role: { id: f.roleId, description: OVER_255 }, updateMask: ['description'] }), fields: ['role.description'] },
  ],
  deleteRole: badIds('id', (_f, id) => ({ id })),

  // ---------- role assignments ----------
  createRoleAssignment: [
    { why: 'no assignment at all', req: () => ({}), fields: ['assignment.user_id', 'assignment.project_id', 'assignment.role_id'] },
    { why: 'both a user and a group', req: (f) => ({ assignment: { userId: f.userId, groupId: f.groupId, projectId: f.projectId, roleId: f.roleId } }), fields: ['assignment.user_id'] },
    { why: 'both a project and a domain', req: (f) => ({ assignment: { userId: f.userId, projectId: f.projectId, domainId: f.domainId, roleId: f.roleId } }), fields: ['assignment.project_id'] },
    ...badIds('assignment.role_id', (f, roleId) => ({ assignment: { userId: f.userId, projectId: f.projectId, roleId } })),
    ...badIds('assignment.user_id', (f, userId) => ({ assignment: { userId, projectId: f.projectId, roleId: f.roleId } }), false),
    ...badIds('assignment.group_id', (f, groupId) => ({ assignment: { groupId, projectId: f.projectId, roleId: f.roleId } }), false),
    ...badIds('assignment.project_id', (f, projectId) => ({ assignment: { userId: f.userId, projectId, roleId: f.roleId } }), false),
    ...badIds('assignment.domain_id', (f, domainId) => ({ assignment: { userId: f.userId, domainId, roleId: f.roleId } }), false),
  ],
  deleteRoleAssignment: [
    { why: 'no assignment at all', req: () => ({}), fields: ['assignment.user_id', 'assignment.project_id', 'assignment.role_id'] },
    { why: 'both a user and a group', req: (f) => ({ assignment: { userId: f.userId, groupId: f.groupId, projectId: f.projectId, roleId: f.memberRoleId } }), fields: ['assignment.user_id'] },
    ...badIds('assignment.role_id', (f, roleId) => ({ assignment: { userId: f.userId, projectId: f.projectId, roleId } })),
    ...badIds('assignment.user_id', (f, userId) => ({ assignment: { userId, projectId: f.projectId, roleId: f.memberRoleId } }), false),
    ...badIds('assignment.project_id', (f, projectId) => ({ assignment: { userId: f.userId, projectId, roleId: f.memberRoleId } }), false),
  ],
  listRoleAssignments: [
    ...badPaging((_f, p) => p, (f) => f.domainsPageToken),
    { why: 'effective with a group filter', req: (f) => ({ effective: true, groupId: f.groupId }), fields: ['group_id'] },
    ...badIds('user_id', (_f, userId) => ({ userId }), false),
    ...badIds('group_id', (_f, groupId) => ({ groupId }), false),
    ...badIds('project_id', (_f, projectId) => ({ projectId }), false),
    ...badIds('domain_id', (_f, domainId) => ({ domainId }), false),
    ...badIds('role_id', (_f, roleId) => ({ roleId }), false),
  ],

  // ---------- application credentials (the admin's own; its token is scoped to the admin project) ----------
  createApplicationCredential: [
    { why: 'an empty name', req: () => ({ applicationCredential: { name: '' } }), fields: ['application_credential.name'] },
    { why: 'a 256-character name', req: () => ({ applicationCredential: { name: OVER_255 } }), fields: ['application_credential.name'] },
    { why: 'a name with a control character', req: () => ({ applicationCredential: { name: CTRL } }), fields: ['application_credential.name'] },
    { why: 'a 256-character description', req: () => ({ applicationCredential: { name: 'bi-new', description: OVER_255 } }), fields: ['application_credential.description'] },
    { why: 'a role the caller does not hold', req: () => ({ applicationCredential: { name: 'bi-new', roles: ['admin', 'no-such-role'] } }), fields: ['application_credential.roles[1]'] },
    { why: 'an expiry in the past', req: () => ({ applicationCredential: { name: 'bi-new', expiresAt: PAST } }), fields: ['application_credential.expires_at'] },
  ],
  getApplicationCredential: badIds('id', (_f, id) => ({ id })),
  listApplicationCredentials: [
    ...badPaging((_f, p) => p, (f) => f.domainsPageToken),
    ...badIds('user_id', (_f, userId) => ({ userId }), false),
  ],
  deleteApplicationCredential: badIds('id', (_f, id) => ({ id })),

  // ---------- tokens ----------
  issueToken: [
    { why: 'no method', req: () => ({}), fields: ['method'] },
    { why: 'a password without a user', req: () => ({ method: { $case: 'password', value: { password: 'x' } } }), fields: ['password.user_id'] },
    { why: 'a user without a password', req: (f) => ({ method: { $case: 'password', value: { userName: f.userName } } }), fields: ['password.password'] },
    { why: 'a password over 1024 bytes', req: (f) => ({ method: { $case: 'password', value: { userName: f.userName, password: OVER_1024_BYTES } } }), fields: ['password.password'] },
    { why: 'a password over 1024 bytes for no such user', req: () => ({ method: { $case: 'password', value: { userName: 'bi-nobody', password: OVER_1024_BYTES } } }), fields: ['password.password'] },
    ...badIds('password.user_id', (f, userId) => ({ method: { $case: 'password', value: { userId, password: f.userPassword } } }), false),
    { why: 'both user_id and user_name', req: (f) => ({ method: { $case: 'password', value: { userId: f.userId, userName: f.userName, password: f.userPassword } } }), fields: ['password.user_id'] },
    { why: 'a user_name with a control character', req: (f) => ({ method: { $case: 'password', value: { userName: CTRL, password: f.userPassword } } }), fields: ['password.user_name'] },
    { why: 'a 256-character user_name', req: (f) => ({ method: { $case: 'password', value: { userName: OVER_255, password: f.userPassword } } }), fields: ['password.user_name'] },
    ...badIds('password.user_domain_id', (f, userDomainId) => ({ method: { $case: 'password', value: { userName: f.userName, userDomainId, password: f.userPassword } } }), false),
    {
      why: 'both user_domain_id and user_domain_name',
      req: (f) => ({ method: { $case: 'password', value: { userName: f.userName, userDomainId: f.defaultDomainId, userDomainName: 'Default', password: f.userPassword } } }),
      fields: ['password.user_domain_id'],
    },
    { why: 'a user_domain_name with a newline', req: (f) => ({ method: { $case: 'password', value: { userName: f.userName, userDomainName: NEWLINE, password: f.userPassword } } }), fields: ['password.user_domain_name'] },
    ...badIds('application_credential.id', (_f, id) => ({ method: { $case: 'applicationCredential', value: { id, secret: 's' } } })),
    { why: 'an application credential without a secret', req: (f) => ({ method: { $case: 'applicationCredential', value: { id: f.appCredId } } }), fields: ['application_credential.secret'] },
    { why: 'a 1025-character secret', req: (f) => ({ method: { $case: 'applicationCredential', value: { id: f.appCredId, secret: 's'.repeat(1025) } } }), fields: ['application_credential.secret'] },
    // The right password with a bad scope: the scope alone is refused, before any login.
    ...badIds('scope.project_id', (f, projectId) => ({ method: pwLogin(f), scope: { projectId } }), false),
    { why: 'unscoped and a project', req: (f) => ({ method: pwLogin(f), scope: { unscoped: true, projectId: f.projectId } }), fields: ['scope.unscoped'] },
    { why: 'project_id and project_name', req: (f) => ({ method: pwLogin(f), scope: { projectId: f.projectId, projectName: 'bi-proj' } }), fields: ['scope.project_name'] },
    { why: 'a project domain without a project name', req: (f) => ({ method: pwLogin(f), scope: { projectDomainId: f.defaultDomainId } }), fields: ['scope.project_domain_id'] },
    { why: 'a malformed project_domain_id', req: (f) => ({ method: pwLogin(f), scope: { projectName: 'bi-proj', projectDomainId: 'nope' } }), fields: ['scope.project_domain_id'] },
    { why: 'a project_name with a control character', req: (f) => ({ method: pwLogin(f), scope: { projectName: CTRL } }), fields: ['scope.project_name'] },
    { why: 'a domain scope (not supported)', req: (f) => ({ method: pwLogin(f), scope: { domainId: f.defaultDomainId } }), fields: ['scope.domain_id'] },
    { why: 'rescoping to a malformed project', req: () => ({ method: { $case: 'token', value: {} }, scope: { projectId: 'nope' } }), fields: ['scope.project_id'] },
  ],
  validateToken: [{ why: 'a token longer than any token', req: () => ({ token: 'A'.repeat(8193) }), fields: ['token'] }],
  revokeToken: [{ why: 'a token longer than any token', req: () => ({ token: 'A'.repeat(8193) }), fields: ['token'] }],

  // ---------- catalog ----------
  registerEndpoint: [
    { why: 'no endpoint at all', req: () => ({}), fields: ['endpoint.service_type', 'endpoint.address'] },
    { why: 'an upper-case service_type', req: () => ({ endpoint: { serviceType: 'Network', address: 'h:1' } }), fields: ['endpoint.service_type'] },
    { why: 'a service_type with a space', req: () => ({ endpoint: { serviceType: 'object store', address: 'h:1' } }), fields: ['endpoint.service_type'] },
    { why: 'a 256-character address', req: () => ({ endpoint: { serviceType: 'image', address: OVER_255 } }), fields: ['endpoint.address'] },
    { why: 'an address with a newline', req: () => ({ endpoint: { serviceType: 'image', address: 'h:1\nx' } }), fields: ['endpoint.address'] },
    { why: 'an unknown interface', req: () => ({ endpoint: { serviceType: 'image', address: 'h:1', interface: 'private' } }), fields: ['endpoint.interface'] },
    { why: 'a service_name with a control character', req: () => ({ endpoint: { serviceType: 'image', address: 'h:1', serviceName: CTRL } }), fields: ['endpoint.service_name'] },
    { why: 'a 256-character region', req: () => ({ endpoint: { serviceType: 'image', address: 'h:1', region: OVER_255 } }), fields: ['endpoint.region'] },
  ],
  listEndpoints: [
    { why: 'a malformed service_type filter', req: () => ({ serviceType: 'NET WORK' }), fields: ['service_type'] },
    { why: 'a region filter with a newline', req: () => ({ region: NEWLINE }), fields: ['region'] },
  ],
  deleteEndpoint: badIds('id', (_f, id) => ({ id })),
};
