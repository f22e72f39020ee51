import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

// What every upstream simulator shares: a clock that tests can move, injectable faults,
// the /__sandbox control routes and a listener that reports a port in use clearly.

export class SandboxClock {
  /** How far tests moved the clock (kept with a simulator's saved state). */
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export interface FaultRule {
  /** Applies to requests whose path starts with this (default: every upstream path). */
  path?: string;
  /** Applies to this method only (default: any). */
  method?: string;
  /** Answer with this status instead of serving the request. */
  status?: number;
  /** Delay before serving (or before the injected status). */
  latencyMs?: number;
  /** Never answer: the client's timeout must fire. */
  hang?: boolean;
  /** How many requests the rule applies to (default 1; unlimited while `forMs` runs). */
  times?: number;
  /** The share of matching requests it hits, 0..1 (default 1: every one). */
  probability?: number;
  /** The rule lapses this long after it was added. */
  forMs?: number;
}

/** What a fault did to a request, counted by kind. */
export type FaultKind = 'status' | 'latency' | 'hang';

export class FaultInjector {
  private rules: Array<FaultRule & { remaining: number; untilMs: number }> = [];
  /** Faults applied since the simulator started, by kind. */
  readonly applied: Record<FaultKind, number> = { status: 0, latency: 0, hang: 0 };

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): void {
    const untilMs = rule.forMs === undefined ? Infinity : Date.now() + rule.forMs;
    this.rules.push({ ...rule, remaining: rule.times ?? (rule.forMs === undefined ? 1 : Infinity), untilMs });
  }
  clear(): void {
    this.rules = [];
  }
  /** How many injected faults have not been applied yet (0: every rule has hit its requests). */
  pending(): number {
    return this.rules.reduce((sum, r) => sum + (r.untilMs > Date.now() ? r.remaining : 0), 0);
  }
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (req.path.startsWith('/__sandbox')) return next();
      const now = Date.now();
      const rule = this.rules.find(
        (r) => r.remaining > 0 && r.untilMs > now && req.path.startsWith(r.path ?? '/') && (r.method ?? req.method) === req.method,
      );
      if (!rule || (rule.probability !== undefined && this.random() >= rule.probability)) return next();
      rule.remaining -= 1;
      this.applied[rule.hang ? 'hang' : rule.status ? 'status' : 'latency'] += 1;
      if (rule.hang) return; // the socket stays open until the client gives up
      setTimeout(() => {
        if (rule.status) res.status(rule.status).json({ error: 'injected_fault', status: rule.status });
        else next();
      }, rule.latencyMs ?? 0);
    };
  }
}

export interface Sandbox {
  app: Express;
  clock: SandboxClock;
  faults: FaultInjector;
}

// --- The hosted pages' Content-Security-Policy (issue 12) ---
// Their own scripts and styles only (no inline script), never framed, forms posted to themselves;
// a page whose form goes back to the merchant (or is redirected there after posting) names that
// origin too: form-action also governs the redirect after a form's POST.

export function hostedPagePolicy(formTargets: ReadonlyArray<string | undefined> = []): string {
  const origins = formTargets.flatMap((url) => (url && /^https?:/.test(url) && URL.canParse(url) ? [new URL(url).origin] : []));
  const formAction = ["'self'", ...new Set(origins)].join(' ');
  const directives = ["default-src 'self'", "script-src 'self'", "script-src-attr 'none'", "style-src 'self'", "img-src 'self' data:"];
  return [...directives, "object-src 'none'", "base-uri 'none'", `form-action ${formAction}`, "frame-ancestors 'none'"].join('; ');
}

/** Lets this answer's page post its form to these URLs' origins (or be redirected there after posting). */
export function allowFormTargets(res: Response, ...urls: Array<string | undefined>): void {
  res.set('Content-Security-Policy', hostedPagePolicy(urls));
}
// --- end Content-Security-Policy ---

/**
 * An Express app with JSON/form parsing, fault injection and the shared /__sandbox controls.
 * `save` (a simulator that keeps its state on disk) runs before every answer leaves, so what a
 * caller was told is on disk first.
 */
export function createSandboxApp(reset: () => void, save?: () => void): Sandbox {
  const app = express();
  const clock = new SandboxClock();
  const faults = new FaultInjector();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set('Content-Security-Policy', hostedPagePolicy());
    next();
  });
  if (save) {
    app.use((_req, res, next) => {
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      res.end = ((...args: unknown[]) => {
        try {
          save();
        } catch (err) {
          process.emitWarning(`simulator state not saved: ${(err as Error).message}`);
        }
        return end(...args);
      }) as Response['end'];
      next();
    });
  }
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(faults.middleware());
  app.post('/__sandbox/clock', (req, res) => {
    const seconds = Number(req.body?.advanceSeconds ?? 0);
    if (!Number.isFinite(seconds)) return void res.status(400).json({ error: 'advanceSeconds must be a number' });
    clock.advance(seconds * 1000);
    res.json({ now: new Date(clock.now()).toISOString() });
  });
  app.post('/__sandbox/faults', (req, res) => {
    faults.add(req.body as FaultRule);
    res.status(204).end();
  });
  app.get('/__sandbox/faults', (_req, res) => void res.json({ applied: faults.applied, pending: faults.pending() }));
  app.delete('/__sandbox/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  app.post('/__sandbox/reset', (_req, res) => {
    faults.clear();
    clock.reset();
    reset();
    res.status(204).end();
  });
  return { app, clock, faults };
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 = any free port); a port in use is a one-line error naming it. */
export function listen(app: Express, port: number, host = '127.0.0.1', name = 'server'): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server: Server = app.listen(port, host);
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`${name}: port ${port} on ${host} is already in use (set another port in the configuration)`)
          : err,
      );
    });
    server.once('listening', () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** ISO 8601 with an explicit +00:00 offset, as the Parking+Plus seeds show. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
