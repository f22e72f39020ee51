import { type TelemetryOptions } from '@temporalio/worker';

// The Temporal Runtime's metrics: the SDK's own (workflow and activity task latencies, completions,
// failures, polls) and what workflows count through `metricMeter` (journey transitions, payment
// outcomes) — workflow code cannot reach prom-client. The Runtime serves them in Prometheus format on
// its own address (TEMPORAL_METRICS_BIND); the API's /metrics appends them, so one scrape sees all.

const SCRAPE_TIMEOUT_MS = 1_000;

/**
 * For Runtime.install; none without an address. Prometheus names like prom-client's: `_total` counters and
 * `_seconds` histograms (temporal_workflow_task_execution_latency_seconds). Workflow metrics keep their own
 * name, no `temporal_` prefix: parkflow_journey_transitions_total{provider,state,workflowType,taskQueue,namespace}.
 */
export function runtimeTelemetry(bindAddress: string): TelemetryOptions | undefined {
  if (!bindAddress) return undefined;
  return { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true, unitSuffix: true } } };
}

/** The Runtime's Prometheus text, or a comment saying why it is missing (a scrape must not fail for it). */
export async function runtimeMetricsText(bindAddress: string): Promise<string> {
  if (!bindAddress) return '';
  const url = `http://${bindAddress.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:')}/metrics`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    if (!res.ok) return `# temporal runtime metrics unavailable: ${url} answered ${res.status}\n`;
    const text = await res.text();
    return text.endsWith('\n') || !text ? text : `${text}\n`;
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${SCRAPE_TIMEOUT_MS} ms` : 'unreachable';
    return `# temporal runtime metrics unavailable: ${url} ${reason}\n`;
  }
}
