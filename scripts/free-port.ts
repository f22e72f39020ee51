import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// A port chosen now and bound later (an API whose address the dev server must know before it starts)
// is taken from below the kernel's ephemeral range: a port the kernel hands out to any listen(0) —
// the dev server's own internal listeners among them — could be taken in between.

/** The kernel's ephemeral ports' lower bound (32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2_048 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const FLOOR = 1_024;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  const span = low - Math.max(FLOOR, Math.floor(low / 2));
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low - 1 - Math.floor(Math.random() * span);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found below ${low}`);
}
