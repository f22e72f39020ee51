import { type Config } from '../config';
import { OPERATORS, PROCESSORS } from '../registry';
import { listen, type Listening } from './harness';

// Every upstream simulator, one per registry row, started together (npm start) or one by one in tests.

export interface RunningSandboxes {
  urls: Record<string, string>;
  close(): Promise<void>;
}

const SIMULATORS = [
  ...OPERATORS.map((row) => ({ key: row.provider, ...row.simulator })),
  ...PROCESSORS.map((row) => ({ key: row.method, ...row.simulator })),
];

export async function startSandboxes(config: Config): Promise<RunningSandboxes> {
  const started: Array<[string, Listening]> = [];
  try {
    for (const simulator of SIMULATORS) {
      const listening = await listen(simulator.create(config), simulator.port(config), config.SANDBOX_HOST, `${simulator.name} simulator`);
      started.push([simulator.key, listening]);
    }
  } catch (err) {
    await Promise.all(started.map(([, s]) => s.close()));
    throw err;
  }
  return {
    urls: Object.fromEntries(started.map(([name, s]) => [name, s.url])),
    close: async () => void (await Promise.all(started.map(([, s]) => s.close()))),
  };
}
