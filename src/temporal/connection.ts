import { Client, Connection, type ClientOptions } from '@temporalio/client';
import { toClientOptions, type ClientConfigProfile, type ClientConfigTLS, type ConfigDataSource } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError, type Config } from '../config';
import { createDataConverter } from './data-converter';

// The one way parkflow reaches Temporal (API, worker, scripts): address and namespace, TLS and an
// API key from the configuration, turned into connection options by @temporalio/envconfig.

type ConnectionConfig = Pick<
  Config,
  | 'TEMPORAL_EMBEDDED'
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_CERT_DATA'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_DATA'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

export interface TemporalTarget {
  namespace: string;
  connection: Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey'>;
}

/** Where and how to connect; throws ConfigError on a contradictory setting. */
export function temporalTarget(config: ConnectionConfig): TemporalTarget {
  const tls = tlsSettings(config);
  if (config.TEMPORAL_EMBEDDED && (tls || config.TEMPORAL_API_KEY)) {
    throw new ConfigError('the embedded dev server takes neither TLS nor an API key: set TEMPORAL_EMBEDDED=false to reach a cluster');
  }
  const { namespace, connectionOptions } = clientOptions({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    apiKey: config.TEMPORAL_API_KEY,
    tls,
  });
  const { address, apiKey } = connectionOptions;
  return {
    namespace: namespace ?? config.TEMPORAL_NAMESPACE,
    connection: { address, apiKey, ...(connectionOptions.tls !== undefined && { tls: connectionOptions.tls }) },
  };
}

/**
 * The client of the API, the worker's activities and the scripts, with parkflow's data converter
 * (encrypted payloads) unless the caller gives one; `client.connection.close()` ends it.
 */
export async function connectClient(
  config: ConnectionConfig & Pick<Config, 'PARKFLOW_PAYLOAD_KEYS'>,
  options: Omit<ClientOptions, 'connection' | 'namespace'> & { connectTimeout?: number } = {},
): Promise<Client> {
  const { connectTimeout, ...clientOptions } = options;
  const target = temporalTarget(config);
  const connection = await reach(target, () => Connection.connect({ ...target.connection, connectTimeout }));
  return new Client({ dataConverter: createDataConverter(config), ...clientOptions, connection, namespace: target.namespace });
}

/** The worker's connection (the Rust core's). */
export async function connectWorker(config: ConnectionConfig): Promise<NativeConnection> {
  const target = temporalTarget(config);
  return reach(target, () => NativeConnection.connect(target.connection));
}

async function reach<T>(target: TemporalTarget, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    // The SDK's reasons are kept (its own message and its cause's) but never the API key, should a
    // server or proxy echo the credentials it was sent; so the cause itself is not attached.
    const reasons = [err, err instanceof Error ? err.cause : undefined]
      .filter(Boolean)
      .map((e) => (e instanceof Error ? e.message : String(e)));
    const reason = reasons.join(': ').replaceAll(target.connection.apiKey || '\0', '[redacted]');
    // eslint-disable-next-line preserve-caught-error -- the cause may quote the API key
    throw new Error(`cannot reach Temporal at ${target.connection.address} (namespace ${target.namespace}): ${reason}`);
  }
}

/** envconfig reads the certificate files: one it cannot read is a configuration error. */
function clientOptions(profile: ClientConfigProfile): ReturnType<typeof toClientOptions> {
  try {
    return toClientOptions(profile);
  } catch (err) {
    throw new ConfigError(`TEMPORAL_TLS_*: ${(err as Error).message}`);
  }
}

function tlsSettings(config: ConnectionConfig): ClientConfigTLS | undefined {
  const clientCert = source('TEMPORAL_TLS_CLIENT_CERT', config.TEMPORAL_TLS_CLIENT_CERT_PATH, config.TEMPORAL_TLS_CLIENT_CERT_DATA);
  const clientKey = source('TEMPORAL_TLS_CLIENT_KEY', config.TEMPORAL_TLS_CLIENT_KEY_PATH, config.TEMPORAL_TLS_CLIENT_KEY_DATA);
  const serverCACert = source(
    'TEMPORAL_TLS_SERVER_CA_CERT',
    config.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    config.TEMPORAL_TLS_SERVER_CA_CERT_DATA,
  );
  if (!clientCert !== !clientKey) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_* go together (mTLS needs both)');
  }
  const tls: ClientConfigTLS = {
    ...(config.TEMPORAL_TLS !== undefined && { disabled: !config.TEMPORAL_TLS }),
    ...(config.TEMPORAL_TLS_SERVER_NAME && { serverName: config.TEMPORAL_TLS_SERVER_NAME }),
    ...(clientCert && { clientCert }),
    ...(clientKey && { clientKey }),
    ...(serverCACert && { serverCACert }),
  };
  if (tls.disabled && Object.keys(tls).length > 1) {
    throw new ConfigError('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* certificates or server name that are set');
  }
  return Object.keys(tls).length ? tls : undefined;
}

function source(name: string, path: string | undefined, data: string | undefined): ConfigDataSource | undefined {
  if (path && data) throw new ConfigError(`set ${name}_PATH or ${name}_DATA, not both`);
  if (path) return { path };
  return data ? { data } : undefined;
}
