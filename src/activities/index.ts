import { type Client } from '@temporalio/client';
import { type Config } from '../config';
import { ectorClient, EPX, linkcClient, MOBILPAY, OPERATORS, processorClients, type OperatorActivities } from '../registry';
import { createPaymentAttemptActivities } from './payment-attempts';
import { createPaymentActivities } from './payments';
import { createReconciliationActivities } from './reconciliation/activities';

export { linkcClient, parkingPlusClient } from '../registry';

export interface ActivityDeps {
  config: Config;
  temporal: Client;
}

/** Every registry row's activities, wired to its client. The worker registers the result. */
export function createActivities({ config, temporal }: ActivityDeps) {
  const operators = Object.assign({}, ...OPERATORS.map((row) => row.activities(config, { temporal }))) as OperatorActivities;
  const processors = processorClients(config);
  return {
    ...operators,
    ...createPaymentActivities({ ...processors, publicBaseUrl: config.PUBLIC_BASE_URL }),
    ...createPaymentAttemptActivities({ temporal }),
    ...createReconciliationActivities({ temporal, ...processors, ector: ectorClient(config), linkc: linkcClient(config) }),
  };
}

export const mobilPayClient = (config: Config) => MOBILPAY.client(config);
export const epxClient = (config: Config) => EPX.client(config);

export type Activities = ReturnType<typeof createActivities>;
