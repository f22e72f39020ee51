import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ParkingPlusActivities } from '../../src/activities/parkingplus/activities';
import type { ParkingPlusFinalized, ParkingPlusSession } from '../../src/activities/parkingplus/snapshot';
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

  readonly activities = {
    openParkingPlusSession: jest.fn(async () => this.guard(() => this.snapshot())),
    readParkingPlusSession: jest.fn(async () => this.guard(() => (this.state === 'closed' ? undefined : this.snapshot()))),
    finalizeParkingPlusSession: jest.fn(async () => this.guard(() => this.finalize())),
    parkingPlusPaymentStatus: jest.fn(async () => this.guard(() => this.payment)),
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

  private snapshot(): ParkingPlusSession {
    const now = this.now();
    const exiting = this.state === 'exiting' && this.exitKey;
    return {
      sessionId: 7,
      state: this.state,
      amount: { value: this.state === 'entering' ? '0.00' : '10.00', currency: 'RON' },
      key: {
        kind: exiting ? 'exit' : 'entrance',
        accessCommand: exiting ? this.exitKey!.command : 'entrance-command',
        validFrom: new Date(exiting ? this.exitKey!.from : now).toISOString(),
        validUntil: new Date(exiting ? this.exitKey!.until : now + KEY_MS).toISOString(),
        remainingTries: 10,
        isOnline: false,
        accessPoints: ['76:86:BB:DE:63:AD'],
      },
    };
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
    return { ...this.snapshot(), payUrl: 'https://parkingplus.example/api/payment/pay/42?from_mobile_v4=true', orderId: '42' };
  }
}
