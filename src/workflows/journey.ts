import { ApplicationFailure, upsertSearchAttributes } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { TERMINAL_STATES, type JourneyStateName, type JourneyView, type Provider } from './messages';
import { JourneyDeadline, JourneyPlate, JourneyProvider, JourneyReference, JourneyState } from './search-attributes';

/** A journey's state in one typed object: transitions, timeline and search attributes move together. */
export class Journey {
  readonly view: JourneyView;

  /** `initial`: where the journey starts — entering a parking, or already parked (LinkC's yard). */
  constructor(id: string, provider: Provider, plate?: string, initial: JourneyStateName = 'entering') {
    this.view = { id, provider, state: initial, plate, deadlines: {}, upstream: {}, timeline: [] };
    upsertSearchAttributes([{ key: JourneyProvider, value: provider }, ...(plate ? [{ key: JourneyPlate, value: plate }] : [])]);
    this.moveTo(initial);
  }

  /** A journey carried over by continue-as-new: its search attributes are already set. */
  static restore(view: JourneyView): Journey {
    const journey = Object.create(Journey.prototype) as Journey;
    (journey as { view: JourneyView }).view = view;
    return journey;
  }

  get state(): JourneyStateName {
    return this.view.state;
  }

  get isTerminal(): boolean {
    return TERMINAL_STATES.includes(this.view.state);
  }

  moveTo(state: JourneyStateName): void {
    if (this.view.timeline.length > 0 && state === this.view.state) return;
    this.view.state = state;
    this.view.timeline.push({ state, at: new Date().toISOString() });
    upsertSearchAttributes([{ key: JourneyState, value: state }]);
  }

  setReference(reference: string): void {
    this.view.upstream.reference = reference;
    upsertSearchAttributes([{ key: JourneyReference, value: reference }]);
  }

  /** The next deadline operators should watch (payment due, transaction validity, exit by). */
  setDeadline(kind: keyof JourneyView['deadlines'], at: string | undefined): void {
    this.view.deadlines[kind] = at;
    const next = Object.values(this.view.deadlines)
      .filter((d): d is string => !!d)
      .sort()[0];
    upsertSearchAttributes([{ key: JourneyDeadline, value: next ? new Date(next) : null }]);
  }

  fail(type: string, message: string): void {
    this.view.failure = { type, message };
    this.moveTo('failed');
  }

  /** For update validators: reject, without touching history, a step the state does not allow. */
  require(step: string, allowed: readonly JourneyStateName[]): void {
    if (!allowed.includes(this.view.state)) {
      throw ApplicationFailure.nonRetryable(
        `cannot ${step} a journey that is ${this.view.state} (allowed when ${allowed.join(' or ')})`,
        FailureType.WrongState,
      );
    }
  }
}
