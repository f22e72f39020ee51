import http from 'node:http';
import https from 'node:https';
import { guardedLookup, type TargetPolicy } from '../../domain/subscriber-url';

// One POST of one event to a subscriber: a timeout, no redirects followed (a redirect could point
// anywhere), the connection's addresses checked (SSRF), and only the status kept from the answer.

export interface PostOutcome {
  /** The status, when the subscriber answered. */
  status?: number;
  /** Why there was no answer (timeout, refused connection, refused target). */
  error?: string;
  refusedTarget?: boolean;
}

export function postEvent(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  policy: TargetPolicy,
): Promise<PostOutcome> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = transport.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'parkflow-events/1',
        },
        lookup: guardedLookup(policy),
        timeout: timeoutMs,
      },
      (response) => {
        response.resume(); // the answer's body means nothing to us
        response.on('end', () => resolve({ status: response.statusCode }));
        response.on('error', () => resolve({ status: response.statusCode }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.message, refusedTarget: err.code === 'ETARGETREFUSED' }));
    request.end(body);
  });
}
