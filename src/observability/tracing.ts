import { context, propagation, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { type ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { type WorkerOptions } from '@temporalio/worker';
import { AsyncLocalStorage } from 'node:async_hooks';

// OpenTelemetry traces of a journey: the API's client calls (StartWorkflow, SignalWorkflow, updates),
// the workflow runs (RunWorkflow, inside the sandbox, exported through a sink) and the activities
// (RunActivity), linked by the trace context Temporal carries in its headers. Off by default
// (OTEL_TRACES_EXPORTER=none): then nothing is installed — no provider, no interceptor, no sink.

export interface TracingSettings {
  OTEL_TRACES_EXPORTER: 'none' | 'console' | 'otlp';
  OTEL_EXPORTER_OTLP_ENDPOINT: string;
  OTEL_SERVICE_NAME: string;
}

export interface Tracing {
  /** For the Client the API and the activities use. */
  clientInterceptors: ClientInterceptors;
  /** For Worker.create; the workflow interceptors are bundled, so the worker bundles src/workflows itself. */
  workerOptions: Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>>;
  /** Sends what is buffered, then removes the global provider, propagator and context manager. */
  shutdown(): Promise<void>;
}

/** The workflow side of tracing: it runs in the workflow sandbox, so it must be part of the workflow bundle. */
export const TRACING_WORKFLOW_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/** `exporter` replaces the configured one (tests use an in-memory exporter); `none` still means no tracing. */
export function startTracing(settings: TracingSettings, options: { exporter?: SpanExporter } = {}): Tracing | undefined {
  if (settings.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: settings.OTEL_SERVICE_NAME });
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : settings.OTEL_TRACES_EXPORTER === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(settings.OTEL_EXPORTER_OTLP_ENDPOINT) }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // The W3C propagator (the default) and a context manager, so a span started in a client call is
  // the parent of the workflow's and the activities' spans instead of each being a trace of its own.
  provider.register({ contextManager: new AsyncLocalContextManager() });
  const tracer = provider.getTracer('parkflow');
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    workerOptions: {
      interceptors: {
        workflowModules: TRACING_WORKFLOW_MODULES,
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** OTLP/HTTP's traces path under the collector's base URL (as the OTEL_EXPORTER_OTLP_ENDPOINT convention says). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** The active span follows async calls (what @opentelemetry/context-async-hooks does, in a few lines). */
class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as (...args: unknown[]) => unknown;
    const run = (self: unknown, args: unknown[]) => this.with(ctx, () => fn.apply(self, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}
