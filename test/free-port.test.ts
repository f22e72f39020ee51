import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../scripts/free-port';

// A port chosen before the Temporal dev server starts and bound after it must not be one the kernel
// could hand to the dev server's own listeners (CI once failed with the API's port taken that way).

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

test('a free port below the kernel ephemeral range, which can then be bound', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  for (const port of ports) expect(port).toBeLessThan(ephemeralLow);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ports[0], '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});
