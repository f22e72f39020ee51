import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// A simulator's state on disk, so that restarting `npm start` continues every journey: one JSON
// file per simulator under the data directory, read at start and written whole after every
// change (to a temporary file, then renamed over the old one: a crash leaves either version).
// Without a data directory the simulator keeps its state in memory only (tests).

export class StateFile<T> {
  readonly path?: string;
  /** What is on disk now: an answer that changed nothing (most are reads) writes nothing. */
  private written?: string;

  constructor(dataDir: string | undefined, name: string) {
    this.path = dataDir ? path.resolve(dataDir, 'simulators', `${name}.json`) : undefined;
  }

  /** The state saved last, if there is one. */
  load(): T | undefined {
    if (!this.path || !existsSync(this.path)) return undefined;
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as T;
    } catch (err) {
      throw new Error(`cannot read the simulator state ${this.path} (delete it to start afresh): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  save(state: T): void {
    if (!this.path) return;
    const json = JSON.stringify(state);
    if (json === this.written) return;
    mkdirSync(path.dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, json);
    renameSync(temp, this.path);
    this.written = json;
  }
}
