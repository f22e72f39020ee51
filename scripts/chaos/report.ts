// A chaos run's report as the table `npm run chaos` prints: what was injected, what came out.
import { fromMinorUnits } from '../../src/domain/money';
import { type ChaosReport } from './run';

const row = (label: string, value: string | number) => `  ${label.padEnd(44)} ${String(value).padStart(10)}`;

export function formatReport(report: ChaosReport): string {
  const r = report.reconciliation;
  const c = report.client;
  const byStatus = (test: (status: number) => boolean) =>
    Object.entries(c.byStatus)
      .filter(([status]) => test(Number(status)))
      .reduce((sum, [, n]) => sum + n, 0);
  const money = (totals: Record<string, number>) =>
    Object.entries(totals)
      .map(([currency, minor]) => `${fromMinorUnits(minor)} ${currency}`)
      .join(', ') || '0';
  const lines = [
    '',
    `chaos run (${report.options.profile}): ${report.options.journeys} journeys, ${report.options.concurrency} at a time, ` +
      `seed ${report.options.seed}, ${(report.durationMs / 1000).toFixed(0)} s`,
    '',
    'journeys',
    ...Object.entries(report.mix).map(([mix, n]) => row(mix, n)),
    '',
    'faults injected',
    ...Object.entries(report.faults).map(([name, n]) => row(name, n)),
    '',
    'client abuse (journeys)',
    ...Object.entries(report.abuse).map(([name, n]) => row(name, n)),
    '',
    'outcomes',
    row('journeys reconciled (with extra ones)', r.journeys),
    ...Object.entries(r.states).map(([state, n]) => row(`  ${state}`, n)),
    row('lost', r.lost.length),
    row('charged twice', r.chargedTwice.length),
    row('stuck', r.stuck.length),
    row('unfinished by the clients', report.unfinished.length),
    row('money kept ≠ money booked', r.moneyMismatch.length),
    row('histories over budget', r.overBudget.length),
    row('client 5xx without Retry-After', c.serverErrors),
    row(
      'client 503 (with Retry-After, retried)',
      byStatus((s) => s === 503),
    ),
    row(
      'client 429 (retried)',
      byStatus((s) => s === 429),
    ),
    row('client requests', c.requests),
    row('client retries (network errors)', `${c.retries} (${c.networkErrors})`),
    row(
      'process crashes',
      Object.values(report.processes).reduce((sum, p) => sum + p.unexpectedExits, 0),
    ),
    `  money kept by the processors: ${money(r.keptMinor)}`,
    `  money booked by the operators: ${money(r.bookedMinor)}`,
    '',
    report.failures.length
      ? `FAILED:\n${report.failures.map((f) => `  - ${f}`).join('\n')}`
      : 'PASSED: nothing lost, nothing charged twice, nothing stuck',
    '',
  ];
  return lines.join('\n');
}
