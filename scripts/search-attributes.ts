// npm run search-attributes: registers parkflow's search attributes (JourneyProvider, JourneyState,
// JourneyPlateKey, …) on the namespace of the cluster the environment names (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS or API key). `npm start`'s embedded dev server registers them itself;
// this is for a real cluster, before the first worker starts. Safe to repeat.
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { runClusterScript } from './cluster-script';

runClusterScript('search-attributes', async (client, config, logger) => {
  const { added, present } = await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE);
  logger.info({ namespace: config.TEMPORAL_NAMESPACE, added, present }, 'search attributes in place');
});
