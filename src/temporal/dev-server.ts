import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { requireBinary } from '../../scripts/temporal-binaries';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { ensureSearchAttributes } from './search-attributes';

// The embedded default: `temporal server start-dev` with its Web UI, state persisted in the data
// folder (journeys survive a restart) and the journey search attributes registered.

export interface DevServer {
  address: string;
  uiUrl: string;
  /** The server's process id (the benchmark reads its memory). */
  pid?: number;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  host: string;
  port: number;
  uiPort: number;
  namespace: string;
  dataDir: string;
  /** The remote codec the Web UI calls to show clear payloads (parkflow's /codec). */
  codecEndpoint?: string;
  onLog?: (line: string) => void;
}

export function searchAttributeFlags(): string[] {
  return JOURNEY_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`,
  ]);
}

export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${what}: port ${port} on ${host} is already in use ` +
                '(another parkflow or Temporal running? set another port in the configuration)'
            : `${what}: ${err.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await assertPortFree(options.host, options.port, 'Temporal dev server');
  await assertPortFree(options.host, options.uiPort, 'Temporal Web UI');
  mkdirSync(options.dataDir, { recursive: true });
  const cli = requireBinary('cli');
  const child: ChildProcess = spawn(
    cli,
    [
      'server',
      'start-dev',
      '--ip',
      options.host,
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--namespace',
      options.namespace,
      '--db-filename',
      path.resolve(options.dataDir, 'temporal.db'),
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--log-level',
      'warn',
      '--ui-disable-news-fetch',
      ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
      ...searchAttributeFlags(),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let lastLines = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      lastLines = (lastLines + chunk).slice(-2000);
      options.onLog?.(chunk.trimEnd());
    });
  }

  const address = `${options.host}:${options.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited (${child.exitCode}): ${lastLines.trim().split('\n').pop()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: options.namespace });
        break;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Temporal dev server did not become ready at ${address}: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // The --search-attribute flags register on a new database only: a data folder from an older parkflow lacks the newer ones.
  const connection = await Connection.connect({ address });
  try {
    await ensureSearchAttributes(connection, options.namespace);
  } catch (err) {
    await stop();
    throw new Error(`Temporal dev server: ${(err as Error).message}`, { cause: err });
  } finally {
    await connection.close();
  }
  return { address, uiUrl: `http://${options.host}:${options.uiPort}`, pid: child.pid, stop };
}
