import { type Config } from '../config';
import { listen, type Listening } from './harness';
import { createEpxSandbox } from './epx/app';
import { createLinkcSandbox } from './linkc/app';
import { createMobilPaySandbox } from './mobilpay/app';
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
    started.push([
      'linkc',
      await listen(
        createLinkcSandbox({ user: { usuario: config.LINKC_USUARIO, senha: config.LINKC_SENHA }, transactionValiditySeconds: config.SANDBOX_LINKC_TRANSACTION_VALIDITY_SECONDS }).app,
        config.SANDBOX_LINKC_PORT,
        config.SANDBOX_HOST,
        'LinkC simulator',
      ),
    ]);
    started.push([
      'mobilpay',
      await listen(createMobilPaySandbox({ apiKey: config.MOBILPAY_API_KEY, posSignature: config.MOBILPAY_POS_SIGNATURE }).app, config.SANDBOX_MOBILPAY_PORT, config.SANDBOX_HOST, 'MobilPay simulator'),
    ]);
    started.push([
      'epx',
      await listen(
        createEpxSandbox({
          mac: config.EPX_MAC,
          fourPartKey: { CUST_NBR: config.EPX_CUST_NBR, MERCH_NBR: config.EPX_MERCH_NBR, DBA_NBR: config.EPX_DBA_NBR, TERMINAL_NBR: config.EPX_TERMINAL_NBR },
        }).app,
        config.SANDBOX_EPX_PORT,
        config.SANDBOX_HOST,
        'EPX simulator',
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
