import { ApplicationFailure } from '@temporalio/common';
import { type z } from 'zod';
import { FailureType } from '../domain/failures';
import { recordUpstreamCall } from '../observability/upstream-calls';

// One way to call an upstream: a timeout on every call, JSON in and out, and failures
// classified so Temporal retries only what a retry can fix. Messages carry the upstream, the
// method, the path and the status — never headers, tokens or bodies that might hold secrets.

export interface UpstreamRequest {
  upstream: string;
  baseUrl: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** A JSON body. */
  body?: unknown;
  /** A form body (application/x-www-form-urlencoded), for the upstreams that want one. */
  form?: Record<string, string>;
  timeoutMs: number;
  /** The path's template for logs and metrics (`/bookings/:id`), when the default guess (upstreamRoute) is not enough. */
  route?: string;
}

export interface UpstreamResponse {
  status: number;
  /** The JSON answer, when it is JSON. */
  body: unknown;
  text: string;
}

/** A 401 from the upstream: the caller decides whether to refresh its credential and retry. */
export class UpstreamUnauthorized extends Error {
  constructor(readonly body: unknown) {
    super('upstream answered 401');
  }
}

export async function callUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
  const where = `${req.upstream} ${req.method} ${req.path}`;
  const call = { upstream: req.upstream, method: req.method, path: req.path, route: req.route, startedAt: Date.now() };
  let response: Response;
  try {
    response = await fetch(upstreamUrl(req.baseUrl, req.path), {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body !== undefined
          ? { 'content-type': 'application/json' }
          : req.form
            ? { 'content-type': 'application/x-www-form-urlencoded' }
            : {}),
        ...req.headers,
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : req.form ? new URLSearchParams(req.form).toString() : undefined,
      signal: AbortSignal.timeout(req.timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    recordUpstreamCall({ ...call, status: timedOut ? 'timeout' : 'network' });
    const reason = timedOut ? `no answer within ${req.timeoutMs} ms` : 'connection failed';
    throw ApplicationFailure.retryable(`${where}: ${reason}`, FailureType.UpstreamUnavailable);
  }
  const text = await response.text().catch(() => '');
  recordUpstreamCall({ ...call, status: response.status });
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (response.status === 401) throw new UpstreamUnauthorized(body);
  if (response.status === 429 || response.status >= 500) {
    const retryAfterSeconds = Number(response.headers.get('retry-after'));
    throw ApplicationFailure.create({
      message: `${where}: ${response.status}`,
      type: FailureType.UpstreamUnavailable,
      nextRetryDelay: Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : undefined,
    });
  }
  return { status: response.status, body, text };
}

/**
 * The request's path under the base URL's own path: a base of `https://host/api` or
 * `https://host/api/` and `/payment/card/start` give `https://host/api/payment/card/start`
 * (`new URL(path, base)` would drop `/api` for an absolute path). The path may carry a query.
 */
export function upstreamUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${prefix}/${path.replace(/^\/+/, '')}`, base.origin);
}

/** Parses an upstream answer; a shape we do not know is a non-retryable contract violation. */
export function parseUpstream<S extends z.ZodType>(schema: S, body: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw ApplicationFailure.nonRetryable(`${where}: unexpected answer (${fields.join('; ')})`, FailureType.UpstreamContractViolation);
}

/** Maps an upstream 4xx to a typed, non-retryable failure with the upstream's own message. */
export function rejectUpstream(where: string, status: number, body: unknown): never {
  const detail = summarize(body);
  if (status === 404) throw ApplicationFailure.nonRetryable(`${where}: not found${detail}`, FailureType.UpstreamNotFound, { status });
  throw ApplicationFailure.nonRetryable(`${where}: rejected (${status})${detail}`, FailureType.UpstreamRejected, {
    status,
    body: safeBody(body),
  });
}

function summarize(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const message = b.message ?? b.error_description ?? b.error ?? (b.errors ? JSON.stringify(b.errors) : undefined);
  return message ? `: ${String(message).slice(0, 300)}` : '';
}

/** Error bodies go into failure details only as their field messages (never tokens). */
function safeBody(body: unknown): unknown {
  if (!body || typeof body !== 'object') return undefined;
  const { errors, message, error } = body as Record<string, unknown>;
  return { errors, message, error };
}
