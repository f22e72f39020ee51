import { type DataConverter } from '@temporalio/common';
import { type Config } from '../config';
import { EncryptionCodec } from './codec';

/** For bundleWorkflowCode: a prebuilt workflow bundle must carry the same failure converter. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The one data converter of every client and worker: payloads encrypted, failure messages encoded. */
export function createDataConverter(config: Pick<Config, 'PARKFLOW_PAYLOAD_KEYS'>): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(config.PARKFLOW_PAYLOAD_KEYS)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}
