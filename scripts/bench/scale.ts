// Scale: many open journeys waiting on their timers (LinkC stays awaiting payment, each waiting for its
// transaction id to lapse), started through the API. Measured: the worker's and the dev server's
// resident memory, one step on one of the first journeys (long evicted from the worker's cache), and a
// worker started again while they all wait: until it polls, and until a step on one of them answers.
import { type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { newClientStats, RetryingHttp } from '../chaos/http';
import { type ChaosProcesses } from '../chaos/processes';
import { type ScaleResults } from './results';
import { sleep } from './timings';

const IN_FLIGHT = 64;
const CATCH_UP = 1_000;

export async function measureScale(
  processes: ChaosProcesses,
  client: Client,
  { open, settleMs }: { open: number; settleMs: number },
  apiKey: string,
): Promise<ScaleResults> {
  const http = new RetryingHttp(newClientStats(), Number.MAX_SAFE_INTEGER);
  const api = `http://127.0.0.1:${processes.ports.api}`;
  const headers = (key?: string) => ({ 'x-api-key': apiKey, ...(key ? { 'idempotency-key': key } : {}) });
  // The ids stay valid for the whole phase: nothing wakes before the measurements are done.
  await http.request(`http://127.0.0.1:${processes.ports.linkc}/__sandbox/settings`, { json: { transactionValiditySeconds: 3600 } });

  console.log(`scale: starting ${open} LinkC journeys (${IN_FLIGHT} at a time)`);
  const ids: string[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < open) {
        const n = next++;
        const localizador = `1${String(n).padStart(9, '0')}`;
        const answer = await http.request(`${api}/v1/journeys`, {
          json: { provider: 'linkc', localizador },
          headers: headers(`bench-scale-${n}-${Date.now()}`),
          timeoutMs: 60_000,
        });
        if (answer.status !== 201) throw new Error(`scale start ${n}: ${answer.status} ${answer.text.slice(0, 200)}`);
        ids[n] = String(answer.body.id);
        if (n > 0 && n % 1000 === 0) console.log(`  ${n} started (${Math.round((performance.now() - started) / 1000)} s)`);
      }
    }),
  );
  const startSeconds = Math.round((performance.now() - started) / 100) / 10;
  await sleep(5_000); // the last starts' tasks done
  const justStarted = { workerRssMb: rssMb(processes.worker.pid), devServerRssMb: rssMb(processes.devServer.pid) };
  await sleep(settleMs); // waiting on their timers: what the processes hold once the garbage of the starts is collected
  const workerRssMb = rssMb(processes.worker.pid);
  const devServerRssMb = rssMb(processes.devServer.pid);

  const timed = async (fn: () => Promise<{ status: number }>, status: number) => {
    const at = performance.now();
    const answer = await fn();
    if (answer.status !== status) throw new Error(`scale step: ${answer.status}`);
    return Math.round(performance.now() - at);
  };
  const [first, second, third] = ids;
  const stepMs = {
    get: await timed(() => http.request(`${api}/v1/journeys/${first}`, { headers: headers() }), 200),
    pay: await timed(
      () => http.request(`${api}/v1/journeys/${first}/pay`, { json: { method: 'mobilpay' }, headers: headers('bench-scale-pay') }),
      200,
    ),
    getAgain: await timed(() => http.request(`${api}/v1/journeys/${second}`, { headers: headers() }), 200),
  };

  // While the worker is down, backends ask a slice of the journeys to look now: the new worker must catch up with them.
  const behind = ids.slice(3, 3 + Math.min(CATCH_UP, ids.length - 3));
  console.log(`scale: the worker stops; ${behind.length} journeys are asked to look now; the worker starts again`);
  await processes.worker.stop();
  for (const id of behind) await http.request(`${api}/v1/journeys/${id}/refresh`, { json: {}, headers: headers() });
  const restartAt = performance.now();
  await processes.worker.start();
  const readyMs = Math.round(performance.now() - restartAt);
  const firstStepMs = await timed(() => http.request(`${api}/v1/journeys/${third}`, { headers: headers() }), 200);
  await untilNoBacklog(client, processes.env.TEMPORAL_TASK_QUEUE ?? 'parkflow');
  const caughtUpMs = Math.round(performance.now() - restartAt);
  await sleep(2_000);
  return {
    openJourneys: open,
    startSeconds,
    workerRssMb,
    devServerRssMb,
    justStarted,
    stepMs,
    workerRestart: { readyMs, firstStepMs, behind: behind.length, caughtUpMs, rssMb: rssMb(processes.worker.pid) },
  };
}

/** Until the task queue's workflow and activity backlogs are empty (the server's approximate count, read twice 500 ms apart). */
async function untilNoBacklog(client: Client, taskQueue: string): Promise<void> {
  const backlog = async () => {
    let total = 0;
    for (const taskQueueType of [
      temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    ]) {
      const { stats } = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType,
        reportStats: true,
      });
      total += Number(stats?.approximateBacklogCount ?? 0);
    }
    return total;
  };
  for (let empty = 0; empty < 2;) {
    empty = (await backlog()) === 0 ? empty + 1 : 0;
    await sleep(500);
  }
}

/** Resident memory of a process, from /proc (Linux), in MB. */
function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Math.round(Number(kb) / 1024) : NaN;
}
