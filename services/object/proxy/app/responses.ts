/**
 * Building ProxyResponses: plain-text status answers in Swift's wording, and the headers every
 * answer carries (X-Trans-Id, X-Openstack-Request-Id, Date is added by the HTTP face).
 */
import type { ProxyRequest, ProxyResponse } from './types';

/** Swift's bodies for error statuses (swob's status texts), used when there is no better message. */
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  416: 'Requested Range Not Satisfiable',
  422: 'Unprocessable Entity',
  499: 'Client Disconnect',
  500: 'Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/**
 * A status with a short text/html-free body (Swift answers errors with a small text body). 204 and
 * 304 never carry one.
 */
export function textResponse(status: number, message?: string, headers: ProxyResponse['headers'] = {}): ProxyResponse {
  if (status === 204 || status === 304) return { status, headers: { ...headers, 'Content-Length': 0 } };
  const text = message ?? statusText(status);
  const body = text ? `<html><h1>${statusText(status) || status}</h1><p>${escapeHtml(text)}</p></html>` : '';
  if (!body) return { status, headers: { ...headers, 'Content-Length': 0 } };
  return { status, headers: { 'Content-Type': 'text/html; charset=UTF-8', ...headers, 'Content-Length': Buffer.byteLength(body) }, body };
}

/** A plain text body as Swift's proxy sends for validation failures (e.g. "Object name too long"). */
export function plainResponse(status: number, message: string, headers: ProxyResponse['headers'] = {}): ProxyResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=UTF-8', ...headers, 'Content-Length': Buffer.byteLength(message) }, body: message };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/** Adds the transaction headers every answer carries (both names, as Swift does). */
export function withTransHeaders(req: Pick<ProxyRequest, 'transId'>, res: ProxyResponse): ProxyResponse {
  return { ...res, headers: { ...res.headers, 'X-Trans-Id': req.transId, 'X-Openstack-Request-Id': req.transId } };
}
