// npm run plate-key -- B123XYZ: prints the plate's search key, to find its journeys in the Temporal UI
// with JourneyPlateKey = "<key>". Computed under PARKFLOW_SECRET_KEY (from the environment or .env),
// as the API does: the key must be the service's own.
import { existsSync } from 'node:fs';
import { loadConfig } from '../src/config';
import { plateSearchKey } from '../src/domain/plate-key';

if (existsSync('.env')) process.loadEnvFile('.env');
const [plate, ...rest] = process.argv.slice(2);
if (!plate || rest.length > 0) {
  console.error('usage: npm run plate-key -- <plate>');
  process.exit(2);
}
console.log(`JourneyPlateKey = "${plateSearchKey(plate, loadConfig().PARKFLOW_SECRET_KEY)}"`);
