import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ParkingPlusActivities } from '../../src/activities/parkingplus/activities';
import { parkingPlusReturnUrl } from '../../src/activities/parkingplus/activities';
import { finalizedSnapshot, sessionSnapshot, type ParkingPlusFinalized, type ParkingPlusSession } from '../../src/activities/parkingplus/snapshot';
import { FailureType } from '../../src/domain/failures';

const KEY_MS = 5 * 60_000;

/**
 * An in-memory Parking+Plus for time-skipping workflow tests. Its clock is the test server's
 * (the activity's scheduled time), so key windows line up with skipped workflow time.
 */
export class FakeParkingPlus {
  state: 'entering' | 'active' | 'exiting' | 'closed' = 'entering';
  payment: 'pending' | 'confirmed' | 'error' = 'pending';
  authExpired = false;
  keyNumber = 0;
  finalizedAt?: number;
  exitKey?: { from: number; until: number; command: string };
  /** An online-only parking (seed 000 is_online): its keys' commands are unusable. */
  online = false;
  /** false: pay_url names no order in its path (the order id then comes from the driver's return). */
  orderInPayUrl = true;
  /** When (workflow time) each payment status look was made. */
  readonly paymentChecks: number[] = [];

  readonly activities = {
    openParkingPlusSession: jest.fn(async () => this.guard(() => this.snapshot())),
    readParkingPlusSession: jest.fn(async () => this.guard(() => (this.state === 'closed' ? undefined : this.snapshot()))),
    finalizeParkingPlusSession: jest.fn(async () => this.guard(() => this.finalize())),
    parkingPlusPaymentStatus: jest.fn(async (_input: { accountId: string; orderId: string }) =>
      this.guard(() => {
        this.paymentChecks.push(this.now());
        return this.payment;
      }),
    ),
    refreshParkingPlusTokens: jest.fn(async (input: { refreshToken: string }) => this.guard(() => ({
      accessToken: `sealed-access-after-${input.refreshToken}`,
      refreshToken: `${input.refreshToken}+1`,
      expiresAtMs: this.now() + 7_200_000,
    }))),
  } satisfies ParkingPlusActivities;

  private now(): number {
    return activityInfo().currentAttemptScheduledTimestampMs;
  }

  private guard<T>(fn: () => T): T {
    if (this.authExpired) throw ApplicationFailure.nonRetryable('account must be linked again', FailureType.AuthExpired);
    return fn();
  }

  /** The upstream's answer (seed 001 shape), read through the client's own snapshot code. */
  private current() {
    const now = this.now();
    const exiting = this.state === 'exiting' && this.exitKey;
    return {
      amount: this.state === 'entering' ? '0.00' : '10.00',
      currency: 'RON',
      parking_session: {
        id: 7,
        type: 'pay_per_use',
        state: this.state,
        start_time: new Date(now).toISOString(),
        entrance_remaining_tries: 10,
        exit_remaining_tries: 10,
      },
      smart_key: {
        id: 1,
        secured_parking_id: 187,
        name: 'Secured P 1',
        type: 'session_access',
        access_command: exiting ? this.exitKey!.command : 'entrance-command',
        is_online: this.online,
        start_time: new Date(exiting ? this.exitKey!.from : now).toISOString(),
        end_time: new Date(exiting ? this.exitKey!.until : now + KEY_MS).toISOString(),
        access_points: [{ access_point: { module_id: 2, mac_address: '76:86:BB:DE:63:AD' } }],
      },
    };
  }

  private snapshot(): ParkingPlusSession {
    return sessionSnapshot(this.current());
  }

  private finalize(): ParkingPlusFinalized {
    if (this.state !== 'active' && this.state !== 'exiting') {
      throw ApplicationFailure.nonRetryable(`cannot finalize a session that is ${this.state}`, FailureType.UpstreamRejected);
    }
    const now = this.now();
    this.state = 'exiting';
    this.finalizedAt ??= now;
    if (!this.exitKey || this.exitKey.until <= now) {
      this.keyNumber += 1;
      this.exitKey = { from: now, until: now + KEY_MS, command: `exit-command-${this.keyNumber}` };
    }
    const payUrl = this.orderInPayUrl
      ? 'https://parkingplus.example/api/payment/pay/42?from_mobile_v4=true'
      : 'https://parkingplus.example/checkout?from_mobile_v4=true';
    const returnUrl = parkingPlusReturnUrl('https://parkflow.example', activityInfo().workflowExecution!.workflowId);
    return finalizedSnapshot({ ...this.current(), pay_url: payUrl }, returnUrl);
  }
}
