import { type NextFunction, type Request, type Response } from 'express';
import { fromMinorUnits } from '../../domain/money';
import { allowFormTargets, createSandboxApp, isoUtc, type Sandbox } from '../harness';
import { StateFile } from '../state-file';
import { ParkingPlusWorld, SMART_KEY_TRIES, type Driver, type ParkingPlusWorldState, type ParkingSession } from './model';
import { decodeReturnUrl, judgeCard, payPage, resultPage, returnTarget } from './pay-page';

// Parking+Plus car-driver API simulator (seeds 000, 001, 002; research §1).

export interface ParkingPlusSandboxOptions {
  tokenLifetimeSeconds?: number;
  clientAppId?: string;
  clientSecret?: string;
  /** Keep the state in <dataDir>/simulators/parkingplus.json (a restart continues); in memory only without. */
  dataDir?: string;
}

export interface ParkingPlusSandbox extends Sandbox {
  world: ParkingPlusWorld;
}

const INVALID_GRANT = {
  error: 'invalid_grant',
  error_description:
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI ' +
    'used in the authorization request, or was issued to another client.',
};

type Authed = Request & { driver: Driver };

export function createParkingPlusSandbox(options: ParkingPlusSandboxOptions = {}): ParkingPlusSandbox {
  const file = new StateFile<{ clockOffsetMs: number; world: ParkingPlusWorldState }>(options.dataDir, 'parkingplus');
  const sandbox = createSandboxApp(
    () => world.reset(),
    file.path ? () => file.save({ clockOffsetMs: clock.offsetMs, world: world.snapshot() }) : undefined,
  );
  const { app, clock } = sandbox;
  const world = new ParkingPlusWorld(clock, {
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 7200,
    clientAppId: options.clientAppId ?? 'parkflow-sandbox-app',
    clientSecret: options.clientSecret ?? 'parkflow-sandbox-secret',
  });
  const saved = file.load();
  if (saved) {
    clock.offsetMs = saved.clockOffsetMs;
    world.restore(saved.world);
  }

  const clientOk = (body: Record<string, unknown>) =>
    body.client_app_id === world.settings.clientAppId && body.client_secret === world.settings.clientSecret;

  const tokenResponse = (driver: Driver) => ({
    token_info: world.issueTokens(driver.email),
    last_payment_info: null,
    account_info: {
      email: driver.email,
      first_name: driver.firstName,
      last_name: driver.lastName,
      phone: driver.phone,
      birthdate: '2015-05-05 00:00:00',
      gender: '',
      newsletter: true,
      image_url: null,
      home_location: null,
      work_location: null,
      has_valid_card: true,
    },
  });

  app.post('/api/car_driver/token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.grant_type === 'password') {
      world.grants.password += 1;
      const driver = world.driverByLogin(String(body.username ?? ''), String(body.password ?? ''));
      if (!clientOk(body) || !driver || driver.password !== body.password) return void res.status(401).json(INVALID_GRANT);
      return void res.json(tokenResponse(driver));
    }
    if (body.grant_type === 'refresh_token') {
      world.grants.refresh_token += 1;
      const stored = world.refreshTokens.get(String(body.refresh_token ?? ''));
      if (!stored || stored.revoked) return void res.status(401).json(INVALID_GRANT);
      stored.revoked = true; // rotation: a refresh token is good for one refresh
      return void res.json(tokenResponse(world.drivers.get(stored.email)!));
    }
    res.status(400).json({ error: 'unsupported_grant_type', error_description: "only 'password' and 'refresh_token' are accepted" });
  });

  app.post('/api/car_driver/fo_users/logins/facebook2', (req, res) => {
    world.grants.facebook2 += 1;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const driver = [...world.drivers.values()].find((d) => d.facebookAccessToken === body.facebook_access_token);
    if (!clientOk(body) || !driver) return void res.status(401).json(INVALID_GRANT);
    res.json(tokenResponse(driver));
  });

  const authenticate = (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const driver = token ? world.driverFor(token) : undefined;
    if (!driver) {
      res.set('WWW-Authenticate', 'Bearer realm="Doorkeeper", error="invalid_token"');
      return void res.status(401).json({ error: 'invalid_token', error_description: 'The access token is invalid or has expired' });
    }
    (req as Authed).driver = driver;
    next();
  };

  const ownSession = (req: Request): ParkingSession | undefined => {
    const session = world.sessions.get(Number(req.params.id));
    return session && session.email === (req as Authed).driver.email ? session : undefined;
  };

  // Not public (research §1 PROPOSAL): create a pay-per-use session with an entrance key.
  app.post('/api/car_driver/parking_sessions', authenticate, (req, res) => {
    const parkingId = req.body?.parking_session?.secured_parking_id;
    if (parkingId === undefined) return void res.status(400).json({ errors: { secured_parking_id: ['is missing'] } });
    const parking = world.parkings.get(Number(parkingId));
    if (!parking) return void res.status(404).json({ error: 'not_found', message: `secured parking ${parkingId} not found` });
    const email = (req as Authed).driver.email;
    if (world.openSessionOf(email))
      return void res.status(422).json({ errors: { base: ['user already has a parking session in progress'] } });
    const now = clock.now();
    const session: ParkingSession = {
      id: world.id(),
      email,
      parkingId: parking.id,
      state: 'entering',
      startMs: now,
      entranceTries: SMART_KEY_TRIES,
      exitTries: SMART_KEY_TRIES,
      entranceKey: world.newKey(now),
    };
    world.sessions.set(session.id, session);
    res.status(201).json(world.currentView(session));
  });

  app.get('/api/car_driver/parking_sessions/current', authenticate, (req, res) => {
    const session = world.openSessionOf((req as Authed).driver.email);
    if (!session) return void res.status(404).json({ error: 'not_found', message: 'no active parking session' });
    res.json(world.currentView(session));
  });

  const finalize = (req: Request, res: Response) => {
    const parkingId = req.body?.parking_session?.secured_parking_id;
    if (!req.body?.parking_session || parkingId === undefined)
      return void res.status(400).json({ errors: { secured_parking_id: ['is missing'] } });
    const session = ownSession(req);
    if (!session || !world.parkings.get(Number(parkingId))) return void res.status(404).json({ error: 'not_found' });
    if (session.parkingId !== Number(parkingId))
      return void res.status(422).json({ errors: { secured_parking_id: ['does not match the session'] } });
    if (session.state !== 'active' && session.state !== 'exiting') {
      return void res.status(422).json({ errors: { state: [`cannot finalize a session that is ${session.state}`] } });
    }
    const now = clock.now();
    if (session.state === 'active') {
      session.state = 'exiting';
      session.endMs = now;
      const order = {
        id: world.id(),
        sessionId: session.id,
        email: session.email,
        amountMinor: world.amountMinor(session, now),
        currency: world.parkings.get(session.parkingId)!.currency,
        status: 'pending' as const,
      };
      world.orders.set(order.id, order);
      session.orderId = order.id;
    }
    // Finalizing again returns the same order; only a lapsed exit key is replaced.
    if (!session.exitKey || session.exitKey.endMs <= now) session.exitKey = world.newKey(Math.max(now, session.endMs!));
    const order = world.orders.get(session.orderId!)!;
    res.status(201).json({
      pay_url: `${req.protocol}://${req.get('host')}/api/payment/pay/${order.id}?from_mobile_v4=true`,
      amount: fromMinorUnits(order.amountMinor),
      currency: order.currency,
      parking_session: world.sessionView(session),
      smart_key: world.smartKeyView(session, session.exitKey),
    });
  };
  app.put('/api/car_driver/parking_sessions/:id/finalize', authenticate, finalize);
  app.patch('/api/car_driver/parking_sessions/:id/finalize', authenticate, finalize);

  app.get('/api/payment/status', authenticate, (req, res) => {
    if (!req.query.id) return void res.status(400).json({ error: 'id is missing' });
    const order = world.orders.get(Number(req.query.id));
    if (!order) return void res.status(404).json({ error: 'not_found' });
    if (order.email !== (req as Authed).driver.email) return void res.status(401).json({ error: 'invalid_token' });
    res.json({ is_card_verification: false, status: order.status === 'pending' ? 'pending' : order.status });
  });

  app.get('/api/car_driver/parking_session_transactions', authenticate, (req, res) => {
    const mine = [...world.orders.values()].filter((o) => o.email === (req as Authed).driver.email);
    res.json({
      current_page: 1,
      total_entries: mine.length,
      total_pages: 1,
      parking_session_transactions: mine.map((o) => {
        const session = world.sessions.get(o.sessionId)!;
        const parking = world.parkings.get(session.parkingId)!;
        return {
          id: o.id,
          start_time: isoUtc(session.startMs),
          end_time: session.endMs === undefined ? null : isoUtc(session.endMs),
          duration_minutes: Math.round(((session.endMs ?? clock.now()) - session.startMs) / 60_000),
          amount: fromMinorUnits(o.amountMinor),
          payment_status: o.status,
          curency: o.currency, // sic, as the upstream spells it
          parking: { id: parking.id, name: parking.name },
        };
      }),
    });
  });

  // The hosted payment page behind pay_url (opened in the driver's WebView, no bearer token). A
  // `return_url` (Base64, research §1) sends the WebView back there after the card form: 303 to it with `id=<order>`.
  const badReturnUrl = (res: Response) => res.status(400).type('html').send('<h1>return_url is not a Base64-encoded http(s) URL</h1>');
  app.get('/api/payment/pay/:orderId', (req, res) => {
    const order = world.orders.get(Number(req.params.orderId));
    if (!order) return void res.status(404).type('html').send('<h1>Order not found</h1>');
    if (decodeReturnUrl(req.query.return_url) === null) return void badReturnUrl(res);
    const session = world.sessions.get(order.sessionId)!;
    const returnUrl = typeof req.query.return_url === 'string' ? req.query.return_url : undefined;
    allowFormTargets(res, decodeReturnUrl(returnUrl) ?? undefined); // the form's POST is redirected there
    res.type('html').send(payPage(order, world.parkings.get(session.parkingId)!.name, returnUrl));
  });
  app.post('/api/payment/pay/:orderId', (req, res) => {
    const order = world.orders.get(Number(req.params.orderId));
    if (!order) return void res.status(404).type('html').send('<h1>Order not found</h1>');
    const returnUrl = decodeReturnUrl(req.body?.return_url ?? req.query.return_url);
    if (returnUrl === null) return void badReturnUrl(res);
    if (order.status !== 'confirmed') {
      const processor = req.body?.processor === 'epx' ? 'epx' : 'mobilpay';
      const card = String(req.body?.card_number ?? '');
      const outcome = judgeCard(processor, card, String(req.body?.cvv ?? ''));
      Object.assign(order, { status: outcome.status, processor, cardLast4: card.slice(-4), declineReason: outcome.reason });
    }
    if (returnUrl) return void res.redirect(303, returnTarget(returnUrl, order.id));
    res.type('html').send(resultPage(order));
  });

  // Controls: the car at the gate, a payment outcome without the browser, token lifetimes.
  app.post('/__sandbox/parking_sessions/:id/gate', (req, res) => {
    const session = world.sessions.get(Number(req.params.id));
    if (!session) return void res.status(404).json({ error: 'not_found' });
    const now = clock.now();
    const refuse = (reason: string) => res.status(409).json({ opened: false, reason, session: world.sessionView(session) });
    if (session.state === 'entering') {
      if (session.entranceTries <= 0) return void refuse('no entrance tries left');
      session.entranceTries -= 1;
      if (now < session.entranceKey.startMs || now > session.entranceKey.endMs) return void refuse('entrance key outside its window');
      session.state = 'active';
    } else if (session.state === 'exiting') {
      if (session.exitTries <= 0) return void refuse('no exit tries left');
      session.exitTries -= 1;
      if (world.orders.get(session.orderId!)!.status !== 'confirmed') return void refuse('not paid');
      if (!session.exitKey || now < session.exitKey.startMs || now > session.exitKey.endMs)
        return void refuse('exit key outside its window');
      session.state = 'closed';
    } else {
      return void refuse(`no key to use in state ${session.state}`);
    }
    res.json({ opened: true, session: world.sessionView(session) });
  });
  app.post('/__sandbox/orders/:id/outcome', (req, res) => {
    const order = world.orders.get(Number(req.params.id));
    if (!order) return void res.status(404).json({ error: 'not_found' });
    const status = req.body?.status;
    if (status !== 'confirmed' && status !== 'error' && status !== 'pending')
      return void res.status(400).json({ error: 'status must be confirmed, error or pending' });
    Object.assign(order, { status, declineReason: status === 'error' ? String(req.body?.reason ?? 'declined') : undefined });
    res.json(order);
  });
  app.post('/__sandbox/tokens/expire', (_req, res) => {
    for (const token of world.accessTokens.values()) token.expiresAtMs = clock.now();
    res.status(204).end();
  });
  app.post('/__sandbox/refresh-tokens/revoke', (_req, res) => {
    for (const token of world.refreshTokens.values()) token.revoked = true;
    res.status(204).end();
  });
  app.get('/__sandbox/stats', (_req, res) => {
    res.json({
      grants: world.grants,
      sessions: [...world.sessions.values()].map((s) => world.sessionView(s)),
      orders: [...world.orders.values()],
    });
  });

  return { ...sandbox, world };
}
