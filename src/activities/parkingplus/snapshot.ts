import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failures';
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
  payUrl: string;
  orderId: string;
}

/** A journey's session Parking+Plus has already closed, as the driver's transactions list it (paid, the car left). */
export interface ParkingPlusEnded {
  state: 'closed';
  transactionId: number;
  amount: Money;
}

function keyView(key: SmartKey, kind: SmartKeyView['kind'], remainingTries: number): SmartKeyView {
  return {
    kind,
    accessCommand: key.access_command,
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

/** The order id is the last path segment of pay_url (/api/payment/pay/:id), as payment status expects. */
export function finalizedSnapshot(finalized: FinalizedSession): ParkingPlusFinalized {
  const orderId = /\/payment\/pay\/([^/?#]+)/.exec(new URL(finalized.pay_url).pathname)?.[1];
  if (!orderId)
    throw ApplicationFailure.nonRetryable('parkingplus finalize: pay_url carries no order id', FailureType.UpstreamContractViolation);
  return {
    ...sessionSnapshot(finalized),
    key: keyView(finalized.smart_key, 'exit', finalized.parking_session.exit_remaining_tries),
    payUrl: finalized.pay_url,
    orderId,
  };
}

export function endedSnapshot(transaction: SessionTransaction): ParkingPlusEnded {
  return { state: 'closed', transactionId: transaction.id, amount: money(transaction.amount, transaction.curency) };
}
