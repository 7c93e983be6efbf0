/**
 * Users and tokens for the proxy auth/quota integration tests: projects and users created in
 * the cluster's real identity service, tokens issued by it (password, project-scoped).
 */
import type { IdentityApi } from '../../../services/runtime/client/identity-client';
import type { Cluster, Reply } from './cluster-harness';

export interface TestUser {
  projectName: string;
  projectId: string;
  userName: string;
  userId: string;
  password: string;
  token: string;
  account: string;
}

export class IdentityFixture {
  private readonly roleIds = new Map<string, string>();
  private constructor(
    private readonly cluster: Cluster,
    private readonly admin: IdentityApi,
  ) {}

  static async open(cluster: Cluster): Promise<IdentityFixture> {
    if (!cluster.identity) throw new Error('the cluster runs without identity (auth: "token" needed)');
    const admin = cluster.identity.withToken(await cluster.identity.adminToken());
    const f = new IdentityFixture(cluster, admin);
    for (const r of (await admin.listRoles({})).roles) f.roleIds.set(r.name, r.id);
    return f;
  }

  /** A new user with `roles` on the project (created when new), and a token scoped to it. */
  async user(projectName: string, userName: string, roles: string[]): Promise<TestUser> {
    const found = (await this.admin.listProjects({ name: projectName })).projects[0];
    const projectId = found ? found.id : (await this.admin.createProject({ project: { name: projectName } })).id;
    const password = `pw-${userName}`;
    const user = await this.admin.createUser({ user: { name: userName, password } });
    for (const r of roles) {
      let roleId = this.roleIds.get(r);
      if (!roleId) {
        roleId = (await this.admin.createRole({ role: { name: r } })).id;
        this.roleIds.set(r, roleId);
      }
      await this.admin.createRoleAssignment({ assignment: { userId: user.id, projectId, roleId } });
    }
    const token = await this.token(userName, password, projectId);
    return { projectName, projectId, userName, userId: user.id, password, token, account: `AUTH_${projectId}` };
  }

  async token(userName: string, password: string, projectId: string): Promise<string> {
    return (await this.cluster.identity!.anon().issueToken({ method: { $case: 'password', value: { userName, password } }, scope: { projectId } })).token;
  }

  async revoke(token: string): Promise<void> {
    await this.admin.revokeToken({ token });
  }
}

/** Polls `fn` until `done(reply)` (bounded), returning the last reply. */
export async function until(fn: () => Promise<Reply>, done: (r: Reply) => boolean, timeoutMs = 15_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fn();
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}
