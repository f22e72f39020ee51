import { isSpanContextValid, trace } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import { type Logger } from 'pino';
import { upstreamRequestDuration, upstreamRequests } from './metrics';

// Every call to an operator or a processor, logged and counted in one place (callUpstream).
// A line names the upstream, the method, the route (the path without its query and ids), the
// status, the latency and — inside an activity — the attempt and the workflow it works for.
// Never a header, a query string or a body: those are where tokens and card data travel.

export interface UpstreamCall {
  upstream: string;
  method: string;
  /** The path as sent; only its route (see upstreamRoute) is logged. */
  path: string;
  /** The route when the caller knows its template better than upstreamRoute can guess it. */
  route?: string;
  /** The HTTP status, or why no answer came. */
  status: number | 'timeout' | 'network';
  startedAt: number;
}

let logger: Logger | undefined;

/** Where upstream calls are logged (the service's logger); until set, they are only counted. */
export function logUpstreamCallsTo(target: Logger | undefined): void {
  logger = target;
}

export function recordUpstreamCall(call: UpstreamCall): void {
  const latencyMs = Date.now() - call.startedAt;
  const route = call.route ?? upstreamRoute(call.path);
  const status = String(call.status);
  upstreamRequests.inc({ upstream: call.upstream, method: call.method, route, status });
  upstreamRequestDuration.observe({ upstream: call.upstream, method: call.method, route }, latencyMs / 1000);
  if (!logger) return;
  const failed = typeof call.status !== 'number' || call.status >= 500 || call.status === 429;
  logger[failed ? 'warn' : 'info'](
    { upstream: call.upstream, method: call.method, route, status, latencyMs, ...activityFields(), ...traceFields() },
    'upstream call',
  );
}

/**
 * The path as a route label: no query, and every segment that is not a plain word (letters, `_`,
 * `-`) or a version (`v3`) becomes `:id` — `/v3/bookings/B12/pay` → `/v3/bookings/:id/pay`.
 */
export function upstreamRoute(path: string): string {
  const bare = path.split(/[?#]/)[0] ?? '';
  const route = bare
    .split('/')
    .map((segment) => (segment === '' || /^(?:v\d+|[a-z][a-z_-]{0,63})$/i.test(segment) ? segment : ':id'))
    .join('/');
  return route || '/';
}

/** The attempt and the workflow, when the call is made by an activity (a client used elsewhere has none). */
function activityFields(): { attempt?: number; workflowId?: string; workflowType?: string; activityType?: string } {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return {};
  }
  return {
    attempt: info.attempt,
    workflowId: info.workflowExecution?.workflowId,
    workflowType: info.workflowType,
    activityType: info.activityType,
  };
}

/** The trace the call belongs to, when tracing is on (OTEL_TRACES_EXPORTER). */
function traceFields(): { traceId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { traceId: span.traceId } : {};
}
