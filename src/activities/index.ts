import { type Client } from '@temporalio/client';
import { subscriberTargetPolicy, type Config } from '../config';
import { SecretBox } from '../domain/sealed';
import { ectorClient, EPX, linkcClient, MOBILPAY, OPERATORS, processorClients, type OperatorActivities } from '../registry';
import { createPaymentAttemptActivities } from './payment-attempts';
import { createPaymentActivities } from './payments';
import { createReconciliationActivities } from './reconciliation/activities';
import { createEventActivities } from './subscribers/activities';

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
    ...createEventActivities({
      temporal,
      box: new SecretBox(config.PARKFLOW_SECRET_KEY),
      policy: subscriberTargetPolicy(config),
      timeoutMs: config.SUBSCRIBER_TIMEOUT_MS,
    }),
  };
}

export const mobilPayClient = (config: Config) => MOBILPAY.client(config);
export const epxClient = (config: Config) => EPX.client(config);

export type Activities = ReturnType<typeof createActivities>;
