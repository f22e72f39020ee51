import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import { type Readable } from 'node:stream';

/**
 * `npm run bench -- <args>` in its own process group, as a terminal runs a job: the group is what a caller
 * stops (`process.kill(-pid)`), because npm itself does not pass a SIGTERM on to the script.
 */
export function spawnBench(args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  return spawn('npm', ['run', '--silent', 'bench', '--', ...args], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}
