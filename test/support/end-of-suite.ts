import { recordHistories } from './histories';
import { expectNoClearSecrets } from './history-scan';
import { type Stack } from './stack';

/**
 * What an end-to-end suite does last: with `record`, write its histories for test/replay
 * (RECORD_HISTORIES=1 only); prove no history holds a secret or personal datum in clear (`extra`:
 * what the suite typed itself); stop the stack, even when the scan fails.
 */
export async function endOfSuite(stack: Stack | undefined, options: { record?: boolean; extra?: string[] } = {}): Promise<void> {
  if (!stack) return;
  try {
    if (options.record) await recordHistories(stack);
    await expectNoClearSecrets(stack, options.extra);
  } finally {
    await stack.stop();
  }
}
