import { type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';

// The variables that reach a Temporal cluster and size a worker; the configuration extends its
// schema with them. A leaf module, like the registry's fields.

/** Compose passes an unset optional variable as an empty string: both mean "not set". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const text = optional(z.string());
const count = optional(z.coerce.number().int().positive());

/**
 * Beyond TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE: TLS (mTLS client certificate, CA, server name)
 * and an API key, under the names of @temporalio/envconfig, so the `temporal` CLI reads the same
 * variables. A certificate or key is a file (`…_PATH`) or its PEM text (`…_DATA`).
 */
export const TEMPORAL_CONNECTION_VARIABLES = {
  TEMPORAL_API_KEY: text,
  /** Unset: TLS when an API key or a certificate is set; `false` turns it off, `true` on (server CA from the system). */
  TEMPORAL_TLS: optional(z.stringbool()),
  TEMPORAL_TLS_CLIENT_CERT_PATH: text,
  TEMPORAL_TLS_CLIENT_CERT_DATA: text,
  TEMPORAL_TLS_CLIENT_KEY_PATH: text,
  TEMPORAL_TLS_CLIENT_KEY_DATA: text,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: text,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: text,
  TEMPORAL_TLS_SERVER_NAME: text,
};

/**
 * The workflow cache parkflow keeps by default: the SDK sizes it from the heap (about 2,300 runs in a 4 GB heap, a
 * gigabyte resident once full); 256 holds the journeys and payments busy at 128 in flight without replaying them
 * at every step, and keeps a worker of 10,000 waiting journeys near 300 MB (npm run bench; 128 halved the
 * throughput at 128 in flight). Journeys wait far longer than they work: an evicted one replays when it wakes.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 256;

/** Worker sizing; each unset variable keeps the SDK's default (the cache: parkflow's). */
export const WORKER_TUNING_VARIABLES = {
  WORKER_MAX_CONCURRENT_ACTIVITIES: count,
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count,
  WORKER_MAX_CACHED_WORKFLOWS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).default(DEFAULT_MAX_CACHED_WORKFLOWS),
  ),
  /** true: the server's feedback scales the task pollers (SDK default: a fixed maximum of 10 per queue kind). */
  WORKER_POLLER_AUTOSCALING: optional(z.stringbool()),
};

type WorkerTuning = z.infer<z.ZodObject<typeof WORKER_TUNING_VARIABLES>>;

export function workerTuning(config: WorkerTuning): Partial<WorkerOptions> {
  return {
    ...(config.WORKER_MAX_CONCURRENT_ACTIVITIES && { maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES }),
    ...(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS && {
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    }),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    ...(config.WORKER_POLLER_AUTOSCALING && {
      workflowTaskPollerBehavior: { type: 'autoscaling' },
      activityTaskPollerBehavior: { type: 'autoscaling' },
    }),
  };
}
