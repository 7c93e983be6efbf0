/**
 * Object DELETE and POST: the same request on every replica (handoffs standing in for primaries
 * that cannot answer), one timestamp for all, and the quorum's answer. DELETE writes tombstones
 * (and the container rows go with them); POST replaces the user metadata.
 */
import { Timestamp } from '../../common/timestamp';
import type { ProxyContext } from '../app/context';
import { plainResponse, textResponse } from '../app/responses';
import type { ProxyRequest, ProxyResponse } from '../app/types';
import { callEachReplica, outcomeStatus } from '../backend/node-calls';
import { quorumStatus } from '../backend/quorum';
import { containerPlan, containerUpdateHeaders, lookupContainer } from './object-container';
import type { ObjectNames } from './object-names';
import { backendWriteHeaders, planPost } from './object-rules';

async function containerGate(ctx: ProxyContext, req: ProxyRequest, names: ObjectNames): Promise<ProxyResponse | undefined> {
  const info = await lookupContainer(ctx, names.account, names.container, req.transId);
  const denied = req.authorize?.(req, info.exists ? { containerAcl: info.acl } : {});
  if (denied) return denied;
  if (!info.exists) return textResponse(404);
  return undefined;
}

export async function deleteObject(ctx: ProxyContext, req: ProxyRequest, names: ObjectNames): Promise<ProxyResponse> {
  const gate = await containerGate(ctx, req, names);
  if (gate) return gate;
  const timestamp = Timestamp.fromMillis(ctx.clock());
  const plan = ctx.rings.objectNodes(names.account, names.container, names.object);
  const cPlan = containerPlan(ctx, names.account, names.container);
  const outcomes = await callEachReplica(ctx.client, plan, (node, index) => ({
    node,
    partition: plan.partition,
    method: 'DELETE',
    account: names.account,
    container: names.container,
    object: names.object,
    headers: { 'X-Timestamp': timestamp.internal, ...containerUpdateHeaders(cPlan, index) },
    transId: req.transId,
  }));
  const status = quorumStatus(outcomes.map(outcomeStatus), plan.replicas);
  if (status === 503) ctx.logger.warn('object DELETE without a quorum', { txId: req.transId, statuses: outcomes.map(outcomeStatus) });
  return textResponse(status);
}

export async function postObject(ctx: ProxyContext, req: ProxyRequest, names: ObjectNames): Promise<ProxyResponse> {
  const nowMs = ctx.clock();
  const checked = planPost(req.headers, nowMs / 1000);
  if (!checked.ok) return plainResponse(checked.refusal.status, checked.refusal.message);
  const gate = await containerGate(ctx, req, names);
  if (gate) return gate;
  const timestamp = Timestamp.fromMillis(nowMs);
  const plan = ctx.rings.objectNodes(names.account, names.container, names.object);
  const contentType = req.headers['content-type']?.trim() || undefined;
  const headers = backendWriteHeaders(req.headers, { timestamp: timestamp.internal, contentType, deleteAt: checked.deleteAt });
  const outcomes = await callEachReplica(ctx.client, plan, (node) => ({
    node,
    partition: plan.partition,
    method: 'POST',
    account: names.account,
    container: names.container,
    object: names.object,
    headers,
    transId: req.transId,
  }));
  const status = quorumStatus(outcomes.map(outcomeStatus), plan.replicas);
  if (status === 503) ctx.logger.warn('object POST without a quorum', { txId: req.transId, statuses: outcomes.map(outcomeStatus) });
  if (status === 202) return textResponse(202, 'The request is accepted for processing.');
  return textResponse(status);
}
