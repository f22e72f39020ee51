import { type RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

// One log line per API request, with a request id that follows it: the caller's X-Request-Id when it
// is a plain token (a gateway's or a trace's id), else a new UUID, echoed in the answer. The URL is
// logged without its query (return pages carry processors' tokens there); the secret headers are
// redacted by the logger (REDACTED_PATHS). Probes and scrapes are not logged: they come every few seconds.

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function requestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function httpLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    quietReqLogger: true, // req.log carries only the request id
    customAttributeKeys: { reqId: 'requestId', responseTime: 'latencyMs' },
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestId(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.has(pathOf(req.url)) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        method: req.method,
        url: pathOf(req.url),
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

function pathOf(url: string | undefined): string {
  return (url ?? '/').split(/[?#]/)[0] || '/';
}
