/**
 * What the object controller needs to know about an object's container: whether it exists and
 * its ACLs (for authorize), from the cached container info (container-info.ts), and where its
 * replicas live, so each object replica sends its container update to one of them.
 */
import type { ProxyContext } from '../app/context';
import type { NodePlan } from '../backend/rings';
import { type ContainerInfo, getContainerInfo } from './container-info';

/** The container's info (cached for containerInfoTtlMs); throws BackendError when no replica answered. */
export function lookupContainer(ctx: ProxyContext, account: string, container: string, transId: string): Promise<ContainerInfo> {
  return getContainerInfo(ctx, account, container, transId);
}

/** Where a container's replicas are (the ring is asked every time, so a reload is seen at once). */
export function containerPlan(ctx: ProxyContext, account: string, container: string): NodePlan {
  return ctx.rings.containerNodes(account, container);
}

/**
 * X-Container-Host/-Device/-Partition for object replica `index`: the container replica with the
 * same index (wrapping when the rings differ in replica count), as Swift pairs them.
 */
export function containerUpdateHeaders(plan: NodePlan, index: number): Record<string, string> {
  if (plan.primaries.length === 0) return {};
  const node = plan.primaries[index % plan.primaries.length];
  return { 'X-Container-Host': `${node.ip}:${node.port}`, 'X-Container-Device': node.device, 'X-Container-Partition': String(plan.partition) };
}
