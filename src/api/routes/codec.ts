import { type Payload, type PayloadCodec } from '@temporalio/common';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import rateLimit from 'express-rate-limit';
import { type Logger } from 'pino';
import { z } from 'zod';
import { type Config, uiOrigins } from '../../config';
import { createDataConverter } from '../../temporal/data-converter';
import { signedInPage, signedOutPage, signInPage } from '../operator-pages';
import { OperatorKeys, SESSION_COOKIE, SESSION_HOURS } from '../operator-session';
import { HttpProblem, parseInput, sendProblem } from '../problem';
import { memoryStores, type RateLimitStores, retryAfterOf } from '../rate-limit-store';

// The remote codec the Temporal Web UI (and `temporal --codec-endpoint`) calls to show clear
// payloads: POST /codec/decode and /codec/encode with {payloads: [{metadata, data}]}, bytes as
// base64. Outside /v1 and its tenant API keys: only operators may call it, with a bearer operator
// key or the session cookie from /codec/sign-in. Payloads and keys are never logged.

const JSON_TYPES = ['application/json', 'application/*+json'];
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const CodecRequest = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })),
});
type JsonPayload = z.infer<typeof CodecRequest>['payloads'][number];

export interface CodecDeps {
  config: Config;
  logger: Logger;
  limitStores?: RateLimitStores;
}

export function codecRouter({ config, logger, limitStores = memoryStores }: CodecDeps): Router {
  const codecs = createDataConverter(config).payloadCodecs ?? [];
  const operators = new OperatorKeys(config.PARKFLOW_OPERATOR_KEYS, config.PARKFLOW_SECRET_KEY);
  const origins = new Set(uiOrigins(config));
  const secureCookie = config.PUBLIC_BASE_URL.startsWith('https:');
  const router = Router();

  router.use((req: Request, res: Response, next: NextFunction) => {
    res.vary('Origin');
    const origin = req.get('Origin');
    if (origin && origins.has(origin)) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
      if (req.method === 'OPTIONS') {
        res.set({
          'Access-Control-Allow-Methods': 'POST, OPTIONS',
          'Access-Control-Allow-Headers': 'content-type, x-namespace, authorization',
          'Access-Control-Max-Age': '600',
        });
      }
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });

  const authorised = (req: Request): boolean => isOperator(operators, req);

  const codecRoute = (transform: (payloads: Payload[]) => Promise<Payload[]>) => async (req: Request, res: Response) => {
    if (!authorised(req)) {
      res.set('WWW-Authenticate', 'Bearer realm="parkflow codec"');
      throw new HttpProblem(401, 'Operator sign-in required', 'send Authorization: Bearer <operator key>, or sign in at /codec/sign-in');
    }
    if (!req.is(JSON_TYPES)) {
      throw new HttpProblem(415, 'Unsupported media type', 'send the body as application/json', [
        { field: 'Content-Type', message: 'must be application/json' },
      ]);
    }
    const { payloads } = parseInput(CodecRequest, req.body, 'body');
    let out: Payload[];
    try {
      out = await transform(payloads.map(fromJson));
    } catch (err) {
      // The message names the key id and what failed, never a payload's content.
      throw new HttpProblem(422, 'Payload not decodable', (err as Error).message, undefined, 'payload-not-decodable');
    }
    res.set('Cache-Control', 'no-store').json({ payloads: out.map(toJson) });
  };

  const json = express.json({ limit: '8mb', type: JSON_TYPES });
  router.post(
    '/encode',
    json,
    codecRoute(async (p) => pipe(codecs, p, (codec, ps) => codec.encode(ps))),
  );
  router.post(
    '/decode',
    json,
    codecRoute(async (p) => pipe([...codecs].reverse(), p, (codec, ps) => codec.decode(ps))),
  );
  router.all(['/encode', '/decode'], (_req, res) => {
    res.set('Allow', 'POST, OPTIONS');
    throw new HttpProblem(405, 'Method not allowed', 'the codec takes POST');
  });

  router.get('/sign-in', (_req, res) => void res.type('html').send(signInPage()));
  router.post(
    '/sign-in',
    rateLimit({
      windowMs: 60_000,
      limit: 10,
      store: limitStores('codec-sign-in'),
      handler: (req, res) =>
        sendProblem(
          res,
          new HttpProblem(429, 'Too many requests', 'at most 10 sign-ins a minute', undefined, undefined, retryAfterOf(req)),
        ),
    }),
    express.urlencoded({ extended: false, limit: '4kb' }),
    (req, res) => {
      const parsed = z.object({ operatorKey: z.string().trim().min(1) }).safeParse(req.body);
      if (!parsed.success || !operators.isOperatorKey(parsed.data.operatorKey)) {
        logger.warn({ ip: req.ip }, 'codec sign-in refused');
        return void res.status(401).type('html').send(signInPage('That is not an operator key.'));
      }
      const session = operators.issue(parsed.data.operatorKey);
      res.cookie(SESSION_COOKIE, session.value, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/codec',
        secure: secureCookie,
        maxAge: SESSION_HOURS * 3_600_000,
      });
      logger.info({ operator: operators.fingerprint(parsed.data.operatorKey) }, 'operator signed in to the codec endpoint');
      res.type('html').send(signedInPage(new Date(session.expiresAtMs), [...origins][0]));
    },
  );
  router.post('/sign-out', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/codec', secure: secureCookie });
    res.type('html').send(signedOutPage());
  });
  return router;
}

/** A bearer operator key, or a valid session cookie. */
export function isOperator(operators: OperatorKeys, req: Request): boolean {
  const bearer = /^Bearer (.+)$/i.exec(req.get('Authorization') ?? '')?.[1];
  if (bearer !== undefined) return operators.isOperatorKey(bearer.trim());
  return operators.verify(cookie(req, SESSION_COOKIE)) !== undefined;
}

async function pipe(
  codecs: PayloadCodec[],
  payloads: Payload[],
  step: (codec: PayloadCodec, payloads: Payload[]) => Promise<Payload[]>,
): Promise<Payload[]> {
  let out = payloads;
  for (const codec of codecs) out = await step(codec, out);
  return out;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('Cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
