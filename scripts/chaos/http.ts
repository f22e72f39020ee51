// The chaos clients' HTTP, as a well-behaved backend (and a driver's browser) does it: every request
// counted; after a network error (refused, reset, timed out), a 429 or a 5xx the SAME request is sent
// again — same Idempotency-Key, same body — after `Retry-After` when the answer gives one, else after
// an exponential backoff, until the client's deadline. A 5xx without `Retry-After` breaks the HTTP
// contract (the chaos run fails on it): it is recorded, then retried like the others.

export interface ClientStats {
  requests: number;
  byStatus: Record<string, number>;
  retries: number;
  retryAfterWaits: number;
  networkErrors: number;
  serverErrors: Array<{ method: string; path: string; status: number; body: string }>;
  /** Requests sent and not yet answered, now (an API kill waits for one). */
  inFlight: number;
}

export function newClientStats(): ClientStats {
  return { requests: 0, byStatus: {}, retries: 0, retryAfterWaits: 0, networkErrors: 0, serverErrors: [], inFlight: 0 };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the callers read the JSON they expect
  body: any;
  url: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  timeoutMs?: number;
  /** 'manual': a 3xx is answered as it is (the caller reads Location). */
  redirect?: 'manual' | 'follow';
  /** false: one try, whatever comes back (a hint such as a refresh). */
  retry?: boolean;
}

/** No answer before the client's deadline. */
export class DeadlineReached extends Error {}

const DEFAULT_TIMEOUT_MS = 15_000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** A longer Retry-After (a rate limit's minute) is waited this long, then the request tries again. */
const MAX_RETRY_AFTER_MS = 10_000;
const BODY_SAMPLE = 500;

export class RetryingHttp {
  constructor(
    private readonly stats: ClientStats,
    /** Epoch ms after which nothing is retried any more. */
    private readonly deadlineMs: number,
  ) {}

  get deadline(): number {
    return this.deadlineMs;
  }

  /** The answer, retried as above; the last answer (or DeadlineReached) once the deadline comes. */
  async request(url: string, options: RequestOptions = {}): Promise<Answer> {
    const method = options.method ?? (options.json === undefined && options.form === undefined ? 'GET' : 'POST');
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      let answer: Answer | undefined;
      let waitMs: number;
      try {
        answer = await this.once(url, method, options);
      } catch (err) {
        this.stats.networkErrors += 1;
        if (options.retry === false) throw err;
        waitMs = backoff;
        if (Date.now() + waitMs >= this.deadlineMs) throw new DeadlineReached(`${method} ${url}: ${(err as Error).message}`);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        await this.retryAfter(waitMs);
        continue;
      }
      const retryAfterMs = retryAfter(answer.headers.get('retry-after'));
      if (answer.status >= 500 && retryAfterMs === undefined) {
        this.stats.serverErrors.push({
          method,
          path: new URL(url).pathname,
          status: answer.status,
          body: answer.text.slice(0, BODY_SAMPLE),
        });
      }
      if (options.retry === false || !(answer.status === 429 || answer.status >= 500)) return answer;
      if (retryAfterMs !== undefined) {
        waitMs = Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
        this.stats.retryAfterWaits += 1;
      } else {
        waitMs = backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      if (Date.now() + waitMs >= this.deadlineMs) return answer;
      await this.retryAfter(waitMs);
    }
  }

  private async retryAfter(ms: number): Promise<void> {
    this.stats.retries += 1;
    await sleep(jitter(ms));
  }

  private async once(url: string, method: string, options: RequestOptions): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    this.stats.requests += 1;
    this.stats.inFlight += 1;
    try {
      const res = await fetch(url, {
        method,
        headers,
        body,
        redirect: options.redirect ?? 'follow',
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const text = await res.text();
      this.stats.byStatus[String(res.status)] = (this.stats.byStatus[String(res.status)] ?? 0) + 1;
      return { status: res.status, headers: res.headers, text, body: parseJson(text), url: res.url || url };
    } finally {
      this.stats.inFlight -= 1;
    }
  }
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** ±20 %: clients that failed together do not all come back in the same millisecond. */
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
