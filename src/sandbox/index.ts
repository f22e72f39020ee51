import { type Config } from '../config';
import { listen, type Listening } from './harness';
import { createParkingPlusSandbox } from './parkingplus/app';

// Every upstream simulator, started together (npm start) or one by one in tests.

export interface RunningSandboxes {
  urls: Record<string, string>;
  close(): Promise<void>;
}

export async function startSandboxes(config: Config): Promise<RunningSandboxes> {
  const started: Array<[string, Listening]> = [];
  try {
    started.push([
      'parkingplus',
      await listen(
        createParkingPlusSandbox({
          tokenLifetimeSeconds: config.SANDBOX_TOKEN_LIFETIME_SECONDS,
          clientAppId: config.PARKINGPLUS_CLIENT_APP_ID,
          clientSecret: config.PARKINGPLUS_CLIENT_SECRET,
        }).app,
        config.SANDBOX_PARKINGPLUS_PORT,
        config.SANDBOX_HOST,
        'Parking+Plus simulator',
      ),
    ]);
  } catch (err) {
    await Promise.all(started.map(([, s]) => s.close()));
    throw err;
  }
  return {
    urls: Object.fromEntries(started.map(([name, s]) => [name, s.url])),
    close: async () => void (await Promise.all(started.map(([, s]) => s.close()))),
  };
}
