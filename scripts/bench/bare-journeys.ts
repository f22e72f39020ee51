// The baseline's side: a worker for the bare workflows (in the benchmark's own process) and a driver
// that takes each journey kind through them with the Temporal client — the same steps, in the same
// order, timed under the same names as parkflow's HTTP steps.
import { type Client, WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { bareActivities } from './bare-activities';
import {
  bareEctor,
  bareEnter,
  bareExit,
  bareFinalize,
  bareLinkc,
  bareNotified,
  bareParkingPlus,
  barePay,
  bareRefresh,
  bareStart,
  bareState,
  type BareView,
} from './bare-workflows';
import { type DrivenJourney } from './parkflow-journeys';
import { type JourneyKind } from './results';
import { pollUntil, type StepTimes } from './timings';

export const BARE_TASK_QUEUE = 'bench-bare';

export async function startBareWorker(address: string): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue: BARE_TASK_QUEUE,
    workflowsPath: require.resolve('./bare-workflows'),
    activities: bareActivities,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export class BareDriver {
  constructor(private readonly client: Client) {}

  async drive(kind: JourneyKind, _slot: number, times: StepTimes): Promise<DrivenJourney> {
    const id = `bare-${kind}-${randomUUID()}`;
    const workflow = { parkingplus: bareParkingPlus, linkc: bareLinkc, ector: bareEctor }[kind];
    await times.time('start', () =>
      this.client.workflow.executeUpdateWithStart(bareStart, {
        startWorkflowOperation: new WithStartWorkflowOperation(workflow, {
          workflowId: id,
          taskQueue: BARE_TASK_QUEUE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        }),
      }),
    );
    const handle = this.client.workflow.getHandle(id);
    const update = (name: string, def: typeof bareEnter) => times.time(name, () => handle.executeUpdate(def));
    const untilPaid = () =>
      times.time('until paid', () =>
        pollUntil(
          () => times.time('get', () => handle.query(bareState)),
          (v: BareView) => v.state === 'paid',
        ),
      );
    if (kind === 'parkingplus') {
      await update('enter', bareEnter);
      await update('finalize', bareFinalize);
      await update('pay', barePay);
      await times.time('page', () => handle.signal(bareRefresh)); // the driver's return from the pay page
      await untilPaid();
      await update('exit', bareExit);
      return { workflowIds: [id] };
    }
    await update('pay', barePay);
    // The processor's notification reaches the payment child (parkflow: MobilPay's webhook).
    await times.time('page', () => this.client.workflow.getHandle(`${id}.pay`).signal(bareNotified));
    await untilPaid();
    if (kind === 'linkc') await update('exit', bareExit);
    return { workflowIds: [id, `${id}.pay`] };
  }
}
