import { money, type Money } from '../../domain/money';
import { type SmartKeyView } from '../../workflows/messages';
import { type CurrentSession, type FinalizedSession, type SessionTransaction, type SmartKey } from './schemas';

/** What a journey workflow needs of a Parking+Plus session, in parkflow's words. */
export interface ParkingPlusSession {
  sessionId: number;
  /** Upstream state: entering, active, exiting, ... — or closed once the session is gone. */
  state: string;
  amount: Money;
  key: SmartKeyView;
}

export interface ParkingPlusFinalized extends ParkingPlusSession {
  /** The URL the driver's WebView opens: Parking+Plus's pay_url, with parkflow's Base64 `return_url` when it has one. */
  payUrl: string;
  /**
   * The payment order payment/status asks about, when pay_url's path names it (/api/payment/pay/:id).
   * Research §1 says the id comes from the return_url's `id`: without one in the path, the journey
   * takes it from the driver's return.
   */
  orderId?: string;
}

/** A journey's session Parking+Plus has already closed, as the driver's transactions list it (paid, the car left). */
export interface ParkingPlusEnded {
  state: 'closed';
  transactionId: number;
  amount: Money;
}

/** An online-only parking's key (seed 000 `is_online: true`) carries no command: the upstream's is unusable. */
function keyView(key: SmartKey, kind: SmartKeyView['kind'], remainingTries: number): SmartKeyView {
  return {
    kind,
    ...(key.is_online ? {} : { accessCommand: key.access_command }),
    validFrom: new Date(key.start_time).toISOString(),
    validUntil: new Date(key.end_time).toISOString(),
    remainingTries,
    isOnline: key.is_online,
    accessPoints: key.access_points.map((p) => p.access_point.mac_address),
  };
}

export function sessionSnapshot(current: CurrentSession): ParkingPlusSession {
  const s = current.parking_session;
  const exiting = s.state === 'exiting';
  return {
    sessionId: s.id,
    state: s.state,
    amount: money(current.amount, current.currency),
    key: keyView(current.smart_key, exiting ? 'exit' : 'entrance', exiting ? s.exit_remaining_tries : s.entrance_remaining_tries),
  };
}

/** The order id pay_url's path names (/api/payment/pay/:id), if any. */
export function orderIdOf(payUrl: string): string | undefined {
  return /\/payment\/pay\/([^/?#]+)/.exec(new URL(payUrl).pathname)?.[1];
}

/**
 * pay_url with parkflow's return_url appended, Base64-encoded (research §1): Parking+Plus sends the
 * WebView there after the payment, with the order's `id`.
 */
export function withReturnUrl(payUrl: string, returnUrl: string): string {
  const url = new URL(payUrl);
  url.searchParams.set('return_url', Buffer.from(returnUrl, 'utf8').toString('base64'));
  return url.toString();
}

/** `returnUrl`: where the driver comes back to parkflow (the journey's return route); pay_url is passed as is without one. */
export function finalizedSnapshot(finalized: FinalizedSession, returnUrl?: string): ParkingPlusFinalized {
  const orderId = orderIdOf(finalized.pay_url);
  return {
    ...sessionSnapshot(finalized),
    key: keyView(finalized.smart_key, 'exit', finalized.parking_session.exit_remaining_tries),
    payUrl: returnUrl ? withReturnUrl(finalized.pay_url, returnUrl) : finalized.pay_url,
    ...(orderId ? { orderId } : {}),
  };
}

export function endedSnapshot(transaction: SessionTransaction): ParkingPlusEnded {
  return { state: 'closed', transactionId: transaction.id, amount: money(transaction.amount, transaction.curency) };
}
