import { type Response } from 'express';
import { type z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/** An error the API answers as application/problem+json (RFC 9457). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    /** For 429 and 503: when to try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail ?? title);
  }
}

export function sendProblem(res: Response, problem: HttpProblem): void {
  if (problem.retryAfterSeconds !== undefined) res.set('Retry-After', String(problem.retryAfterSeconds));
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `https://parkflow.dev/problems/${problem.slug}`,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
}

/** Field errors from a Zod failure: `securedParkingId: expected number, received string`. */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Parses input with a schema, or throws a 400 problem naming each bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: 'body' | 'query' | 'header' | 'path',
  prefix = '',
): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new HttpProblem(400, 'Invalid request', `the request ${where} is not valid`, fieldErrors(parsed.error, prefix), 'invalid-request');
}
