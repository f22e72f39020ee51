// The engine baseline: the Temporal work of each journey kind and nothing else — the same updates,
// signals, activities, timers and child workflow, no HTTP, no upstream, no payload encryption.
// What these reach on this machine is the ceiling parkflow is measured against.
import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

export interface BareView {
  state: string;
  redirectUrl?: string;
}

export const bareStart = defineUpdate<BareView>('start');
export const bareEnter = defineUpdate<BareView>('enter');
export const bareFinalize = defineUpdate<BareView>('finalize');
export const barePay = defineUpdate<BareView>('pay');
export const bareExit = defineUpdate<BareView>('exit');
export const bareRefresh = defineSignal('refresh');
export const bareNotified = defineSignal('notified');
export const bareOpened = defineSignal<[string]>('opened');
export const bareCaptured = defineSignal('captured');
export const bareState = defineQuery<BareView>('state');

const { work } = proxyActivities<BareActivities>({ startToCloseTimeout: '15s' });
/** The backstop a real journey keeps while it waits for news (a poll): one timer per wait. */
const BACKSTOP = '10 minutes';

/** A journey's view, its query and the update every kind starts with (answered once `started`). */
function journeyBasics() {
  const view: BareView = { state: 'starting' };
  let started = false;
  setHandler(bareState, () => view);
  setHandler(bareStart, async () => {
    await condition(() => started);
    return view;
  });
  return { view, started: () => void (started = true) };
}

/** A pay update that starts the payment child and answers once the child has opened its order. */
function payThroughChild(view: BareView) {
  let captured = false;
  setHandler(bareOpened, (url) => void (view.redirectUrl = url));
  setHandler(bareCaptured, () => void (captured = true));
  setHandler(barePay, async () => {
    if (!view.redirectUrl) {
      await startChild(barePayment, { workflowId: `${workflowInfo().workflowId}.pay`, args: [workflowInfo().workflowId] });
      await condition(() => !!view.redirectUrl);
    }
    return view;
  });
  return { captured: () => captured };
}

/** LinkC: start (look the stay up) → pay (child opens the order) → captured → read, register, look up → exit (look up). */
export async function bareLinkc(): Promise<void> {
  const { view, started } = journeyBasics();
  const payment = payThroughChild(view);
  let exitAsked = false;
  setHandler(bareExit, async () => {
    await work('lookup');
    view.state = 'exiting';
    exitAsked = true;
    return view;
  });
  await work('lookup');
  view.state = 'awaiting_payment';
  started();
  await condition(payment.captured, BACKSTOP);
  await work('status');
  await work('register');
  await work('lookup');
  view.state = 'paid';
  await condition(() => exitAsked, BACKSTOP);
}

/** Parking+Plus: start (open the session) → enter → finalize → pay (its own page) → refresh → read → exit. */
export async function bareParkingPlus(): Promise<void> {
  const { view, started } = journeyBasics();
  let refreshed = false;
  let exitAsked = false;
  setHandler(bareRefresh, () => void (refreshed = true));
  const step = (from: string, to: string, activity?: string) => async () => {
    if (view.state !== from) return view;
    if (activity) await work(activity);
    view.state = to;
    return view;
  };
  setHandler(bareEnter, step('entering', 'active', 'read'));
  setHandler(bareFinalize, step('active', 'awaiting_payment', 'finalize'));
  setHandler(barePay, async () => ({ ...view, redirectUrl: 'pay-url' }));
  setHandler(bareExit, async () => {
    await step('paid', 'exiting', 'read')();
    exitAsked = true;
    return view;
  });
  await work('open');
  view.state = 'entering';
  started();
  await condition(() => view.state === 'awaiting_payment', BACKSTOP);
  await condition(() => refreshed, BACKSTOP);
  await work('status');
  view.state = 'paid';
  await condition(() => exitAsked, BACKSTOP);
}

/** Ector: start (quote, create the booking) → pay (child opens the order) → captured → read, pay the booking. */
export async function bareEctor(): Promise<void> {
  const { view, started } = journeyBasics();
  const payment = payThroughChild(view);
  await work('quote');
  await work('book');
  view.state = 'awaiting_payment';
  started();
  await condition(payment.captured, BACKSTOP);
  await work('status');
  await work('pay-booking');
  view.state = 'paid';
}

/** The payment child: open the order → the processor's notification (or a poll) → read it → tell the journey. */
export async function barePayment(journeyId: string): Promise<void> {
  let notified = false;
  setHandler(bareNotified, () => void (notified = true));
  const journey = getExternalWorkflowHandle(journeyId);
  await work('open-order');
  await journey.signal(bareOpened, 'redirect-url');
  await condition(() => notified, BACKSTOP);
  await work('status');
  await journey.signal(bareCaptured);
}
