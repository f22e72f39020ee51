import { allHandlersFinished, ApplicationFailure, patched, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { type SearchAttributeUpdatePair } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { ownerOf } from '../domain/owners';
import { journeyEvent } from './event-messages';
import { EventOutbox, JOURNEY_EVENTS_PATCH } from './event-outbox';
import { JOURNEY_MEMO, journeyMemo } from './journey-memo';
import { TERMINAL_STATES, type JourneyStateName, type JourneyView, type Provider } from './messages';
import { countTransition } from './metrics';
import { JourneyDeadline, JourneyPlate, JourneyProvider, JourneyReference, JourneyState } from './search-attributes';

/**
 * Journeys from before it wrote the plate in clear into JourneyPlate and kept no memo (their replays
 * still do). With it: no plate in any search attribute (the API sets JourneyPlateKey), a clear plate
 * carried by an older journey is removed at its next transition, and the memo holds a summary.
 */
export const PRIVATE_SUMMARY_PATCH = 'journey-plate-key-and-memo';
/**
 * The search attributes and the memo a workflow task changed are written once, at its end (before, one
 * upsert per change: three to five per transition, each a visibility write on the server).
 */
export const ONE_UPSERT_PATCH = 'journey-one-upsert-per-task';

/** A journey's state in one typed object: transitions, timeline, search attributes and memo move together. */
export class Journey {
  readonly view: JourneyView;
  /** The summary last written to the memo (JSON), so an unchanged one is not written again. */
  private summary?: string;
  /** Changes not written yet (one upsert per workflow task), by attribute name; undefined: written at once. */
  private unwritten?: Map<string, SearchAttributeUpdatePair>;
  /** Where its events go to its tenant's subscribers (none for a journey id without a tenant). */
  private outbox?: EventOutbox;
  /** The run is waiting for its handlers to finish before it continues as new: waits answer at once instead of holding it. */
  continuing?: boolean;

  /** `initial`: where the journey starts — entering a parking, or already parked (LinkC's yard). */
  constructor(id: string, provider: Provider, plate?: string, initial: JourneyStateName = 'entering') {
    this.view = { id, provider, state: initial, plate, deadlines: {}, upstream: {}, timeline: [] };
    const clearPlate = !patched(PRIVATE_SUMMARY_PATCH) && plate ? [{ key: JourneyPlate, value: plate }] : [];
    this.upsert([{ key: JourneyProvider, value: provider }, ...clearPlate]);
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
    const carriedPlate = workflowInfo().typedSearchAttributes.get(JourneyPlate) !== undefined && patched(PRIVATE_SUMMARY_PATCH);
    this.upsert([{ key: JourneyState, value: state }, ...(carriedPlate ? [{ key: JourneyPlate, value: null }] : [])]);
    this.summarise();
    countTransition(this.view.provider, state);
    this.announce();
  }

  /** No handler running and every event handed to the journey's event stream: it may end or continue as new. */
  get settled(): boolean {
    return allHandlersFinished() && (this.outbox?.empty ?? true);
  }

  private announce(): void {
    const tenant = ownerOf('journey', this.view.id);
    if (!tenant || !patched(JOURNEY_EVENTS_PATCH)) return;
    this.outbox ??= new EventOutbox(tenant, this.view.id);
    this.outbox.add(journeyEvent(this.view));
  }

  setReference(reference: string): void {
    this.view.upstream.reference = reference;
    this.upsert([{ key: JourneyReference, value: reference }]);
    this.summarise();
  }

  /** The next deadline operators should watch (payment due, transaction validity, exit by). */
  setDeadline(kind: keyof JourneyView['deadlines'], at: string | undefined): void {
    this.view.deadlines[kind] = at;
    const next = Object.values(this.view.deadlines)
      .filter((d): d is string => !!d)
      .sort()[0];
    this.upsert([{ key: JourneyDeadline, value: next ? new Date(next) : null }]);
    this.summarise();
  }

  /** Writes the memo summary when it changed (amounts are read here: they change just before a transition). */
  private summarise(): void {
    if (this.unwritten) return; // written with the attributes, at the end of the task
    this.writeSummary();
  }

  private writeSummary(): void {
    const summary = journeyMemo(this.view);
    const json = JSON.stringify(summary);
    if (json === this.summary || !patched(PRIVATE_SUMMARY_PATCH)) return;
    this.summary = json;
    upsertMemo({ [JOURNEY_MEMO]: summary });
  }

  /**
   * Search attributes: with the patch, gathered and written once when the task's code has run (a microtask:
   * it runs before the workflow task completes, after every change made in the same turn).
   */
  private upsert(attributes: SearchAttributeUpdatePair[]): void {
    if (!this.unwritten && !patched(ONE_UPSERT_PATCH)) return upsertSearchAttributes(attributes);
    const flushNow = !this.unwritten?.size;
    this.unwritten ??= new Map();
    for (const attribute of attributes) this.unwritten.set(attribute.key.name, attribute);
    if (flushNow) void Promise.resolve().then(() => this.flush());
  }

  private flush(): void {
    const attributes = [...this.unwritten!.values()];
    this.unwritten!.clear();
    if (attributes.length > 0) upsertSearchAttributes(attributes);
    this.writeSummary();
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
