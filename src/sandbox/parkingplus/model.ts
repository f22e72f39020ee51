import { randomBytes } from 'node:crypto';
import { fromMinorUnits } from '../../domain/money';
import { isoUtc, type SandboxClock } from '../harness';

// The Parking+Plus world as the simulator keeps it: drivers, tokens, secured parkings,
// pay-per-use sessions and their payment orders. Rules follow seeds 000/001/002 and research §1.

export const KEY_WINDOW_MS = 5 * 60_000; // the seeds' smart keys are valid for 5 minutes
export const SMART_KEY_TRIES = 10;

export interface Driver {
  email: string;
  password: string;
  facebookAccessToken: string;
  firstName: string;
  lastName: string;
  phone: string;
}

export interface SecuredParking {
  id: number;
  name: string;
  pricePerHourMinor: number;
  currency: string;
  accessPoints: Array<{ module_id: number; mac_address: string }>;
  /**
   * Seed 000: the parking is "exclusively online" — its smart keys say `is_online: true` and their
   * access_command is unusable (the barrier opens from Parking+Plus's side; the sandbox gate control does that).
   */
  onlineOnly?: boolean;
}

export interface SmartKey {
  id: number;
  accessCommand: string;
  startMs: number;
  endMs: number;
}

export type SessionState = 'entering' | 'active' | 'exiting' | 'closed';

export interface ParkingSession {
  id: number;
  email: string;
  parkingId: number;
  state: SessionState;
  startMs: number;
  endMs?: number;
  entranceTries: number;
  exitTries: number;
  entranceKey: SmartKey;
  exitKey?: SmartKey;
  orderId?: number;
}

export type OrderStatus = 'pending' | 'confirmed' | 'error';

export interface PaymentOrder {
  id: number;
  sessionId: number;
  email: string;
  amountMinor: number;
  currency: string;
  status: OrderStatus;
  processor?: 'mobilpay' | 'epx';
  /** Only the last four digits: the simulator, like parkflow, never keeps a card number. */
  cardLast4?: string;
  declineReason?: string;
}

export interface TokenGrantCounts {
  password: number;
  refresh_token: number;
  facebook2: number;
}

export const SANDBOX_DRIVER: Driver = {
  email: 'user@example.com',
  password: 'sekret',
  facebookAccessToken: 'sandbox-facebook-token',
  firstName: 'name',
  lastName: 'name',
  phone: '0740000000',
};

export const SANDBOX_PARKINGS: SecuredParking[] = [
  {
    id: 187,
    name: 'Secured P 1',
    pricePerHourMinor: 500,
    currency: 'RON',
    accessPoints: [
      { module_id: 2, mac_address: '76:86:BB:DE:63:AD' },
      { module_id: 1, mac_address: '6F:FF:D3:B0:57:39' },
    ],
  },
  {
    id: 188,
    name: 'Secured P 2',
    pricePerHourMinor: 417,
    currency: 'RON',
    accessPoints: [{ module_id: 1, mac_address: '1A:2B:3C:4D:5E:6F' }],
  },
  {
    // Sandbox rule: 189 is the online-only parking (is_online: true on all its smart keys).
    id: 189,
    name: 'Secured P 3 (online only)',
    pricePerHourMinor: 500,
    currency: 'RON',
    accessPoints: [{ module_id: 1, mac_address: '2C:3D:4E:5F:60:71' }],
    onlineOnly: true,
  },
];

/** The sandbox's online-only secured parkings (seed 000 is_online). */
export const ONLINE_ONLY_PARKING_IDS = SANDBOX_PARKINGS.filter((p) => p.onlineOnly).map((p) => p.id);

/** What the simulator keeps on disk (the parkings are fixed). */
export interface ParkingPlusWorldState {
  nextId: number;
  grants: TokenGrantCounts;
  drivers: Driver[];
  accessTokens: Array<[string, { email: string; expiresAtMs: number }]>;
  refreshTokens: Array<[string, { email: string; revoked: boolean }]>;
  sessions: ParkingSession[];
  orders: PaymentOrder[];
}

export class ParkingPlusWorld {
  readonly drivers = new Map<string, Driver>();
  readonly parkings = new Map<number, SecuredParking>();
  readonly accessTokens = new Map<string, { email: string; expiresAtMs: number }>();
  readonly refreshTokens = new Map<string, { email: string; revoked: boolean }>();
  readonly sessions = new Map<number, ParkingSession>();
  readonly orders = new Map<number, PaymentOrder>();
  grants: TokenGrantCounts = { password: 0, refresh_token: 0, facebook2: 0 };
  private nextId = 1;

  constructor(
    readonly clock: SandboxClock,
    readonly settings: { tokenLifetimeSeconds: number; clientAppId: string; clientSecret: string },
  ) {
    this.reset();
  }

  reset(): void {
    for (const map of [this.drivers, this.parkings, this.accessTokens, this.refreshTokens, this.sessions, this.orders]) map.clear();
    this.drivers.set(SANDBOX_DRIVER.email, { ...SANDBOX_DRIVER });
    for (const p of SANDBOX_PARKINGS) this.parkings.set(p.id, p);
    this.grants = { password: 0, refresh_token: 0, facebook2: 0 };
  }

  id(): number {
    return this.nextId++;
  }

  snapshot(): ParkingPlusWorldState {
    return {
      nextId: this.nextId,
      grants: this.grants,
      drivers: [...this.drivers.values()],
      accessTokens: [...this.accessTokens],
      refreshTokens: [...this.refreshTokens],
      sessions: [...this.sessions.values()],
      orders: [...this.orders.values()],
    };
  }

  restore(saved: ParkingPlusWorldState): void {
    this.reset();
    for (const driver of saved.drivers) this.drivers.set(driver.email, driver);
    for (const [token, holder] of saved.accessTokens) this.accessTokens.set(token, holder);
    for (const [token, holder] of saved.refreshTokens) this.refreshTokens.set(token, holder);
    for (const session of saved.sessions) this.sessions.set(session.id, session);
    for (const order of saved.orders) this.orders.set(order.id, order);
    this.grants = saved.grants;
    this.nextId = saved.nextId;
  }

  issueTokens(email: string) {
    const accessToken = randomBytes(32).toString('hex');
    const refreshToken = randomBytes(32).toString('hex');
    this.accessTokens.set(accessToken, { email, expiresAtMs: this.clock.now() + this.settings.tokenLifetimeSeconds * 1000 });
    this.refreshTokens.set(refreshToken, { email, revoked: false });
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'bearer', expires_in: this.settings.tokenLifetimeSeconds };
  }

  /** The driver behind a bearer token, or undefined when it is unknown or expired. */
  driverFor(accessToken: string): Driver | undefined {
    const token = this.accessTokens.get(accessToken);
    if (!token || token.expiresAtMs <= this.clock.now()) return undefined;
    return this.drivers.get(token.email);
  }

  /**
   * Sandbox sign-up: any address at example.com logs in with the sandbox password, so tests and
   * benchmarks can run many drivers side by side (each driver has one open session at a time).
   */
  driverByLogin(email: string, password: string): Driver | undefined {
    const known = this.drivers.get(email);
    if (known) return known.password === password ? known : undefined;
    if (!/^[a-z0-9._+-]+@example\.com$/i.test(email) || password !== SANDBOX_DRIVER.password) return undefined;
    const driver = { ...SANDBOX_DRIVER, email, facebookAccessToken: `${SANDBOX_DRIVER.facebookAccessToken}-${email}` };
    this.drivers.set(email, driver);
    return driver;
  }

  /** The driver's session in progress. A session whose entrance key lapsed unused is abandoned. */
  openSessionOf(email: string): ParkingSession | undefined {
    for (const s of this.sessions.values()) {
      if (s.state === 'entering' && s.entranceKey.endMs < this.clock.now()) s.state = 'closed';
    }
    return [...this.sessions.values()].find((s) => s.email === email && s.state !== 'closed');
  }

  newKey(startMs: number): SmartKey {
    return { id: this.id(), accessCommand: randomBytes(34).toString('hex'), startMs, endMs: startMs + KEY_WINDOW_MS };
  }

  /** Pay-per-use price: every started hour at the parking's hourly price. */
  amountMinor(session: ParkingSession, untilMs: number): number {
    const parking = this.parkings.get(session.parkingId)!;
    const hours = Math.max(1, Math.ceil((untilMs - session.startMs) / 3_600_000));
    return hours * parking.pricePerHourMinor;
  }

  sessionView(session: ParkingSession) {
    return {
      id: session.id,
      type: 'pay_per_use',
      state: session.state,
      start_time: isoUtc(session.startMs),
      end_time: session.endMs === undefined ? null : isoUtc(session.endMs),
      entrance_remaining_tries: session.entranceTries,
      exit_remaining_tries: session.exitTries,
    };
  }

  smartKeyView(session: ParkingSession, key: SmartKey) {
    const parking = this.parkings.get(session.parkingId)!;
    return {
      id: key.id,
      secured_parking_id: parking.id,
      name: parking.name,
      description: null,
      is_active: null,
      type: 'session_access',
      access_command: key.accessCommand,
      is_online: parking.onlineOnly === true,
      start_time: isoUtc(key.startMs),
      end_time: isoUtc(key.endMs),
      access_points: parking.accessPoints.map((access_point) => ({ access_point })),
    };
  }

  /** The shape of GET current (and of session creation): amount so far, session, current key. */
  currentView(session: ParkingSession) {
    const parking = this.parkings.get(session.parkingId)!;
    const order = session.orderId === undefined ? undefined : this.orders.get(session.orderId);
    const amountMinor = order ? order.amountMinor : session.state === 'entering' ? 0 : this.amountMinor(session, this.clock.now());
    const key = session.state === 'exiting' && session.exitKey ? session.exitKey : session.entranceKey;
    return {
      amount: fromMinorUnits(amountMinor),
      currency: parking.currency,
      parking_session: this.sessionView(session),
      smart_key: this.smartKeyView(session, key),
    };
  }
}
