import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { postEvent } from '../src/activities/subscribers/delivery';
import { refusedAddress, refusedSubscriberUrl } from '../src/domain/subscriber-url';

// Subscriber URLs against SSRF: parkflow must not become a way to reach loopback, private networks or
// a cloud's metadata service — when a subscription is made, and when an event is sent.

const production = { allowPrivate: false };
const development = { allowPrivate: true };

describe('subscriber URLs', () => {
  test.each([
    'https://127.0.0.1/events',
    'https://localhost/events',
    'https://10.1.2.3/events',
    'https://172.16.0.1/events',
    'https://192.168.1.10/events',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/events',
    'https://0.0.0.0/events',
    'https://[::1]/events',
    'https://[fd00::1]/events',
    'https://[fe80::1]/events',
    'https://[::ffff:127.0.0.1]/events',
    'https://[::ffff:10.0.0.1]/events',
  ])('%s is refused', async (url) => {
    expect(await refusedSubscriberUrl(url, production)).toEqual(expect.any(String));
  });

  test('plain http, credentials in the URL and names that do not resolve are refused', async () => {
    expect(await refusedSubscriberUrl('http://93.184.216.34/events', production)).toBe('must be an https URL');
    expect(await refusedSubscriberUrl('https://user:pw@93.184.216.34/events', production)).toBe('must not carry credentials');
    expect(await refusedSubscriberUrl('https://no-such-host.invalid/events', production)).toMatch(/does not resolve/);
    expect(await refusedSubscriberUrl('ftp://93.184.216.34/events', production)).toBe('must be an https URL');
  });

  test('a public https address is accepted; in development, http and loopback are too', async () => {
    expect(await refusedSubscriberUrl('https://93.184.216.34/events', production)).toBeUndefined();
    expect(await refusedSubscriberUrl('https://[2606:4700:4700::1111]/events', production)).toBeUndefined();
    expect(await refusedSubscriberUrl('http://127.0.0.1:4000/events', development)).toBeUndefined();
    expect(refusedAddress('10.0.0.1', development)).toBeUndefined();
  });

  test('at delivery, a name resolving to loopback is refused before any connection (DNS may have changed since)', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const refused = await postEvent(`http://localhost:${port}/events`, {}, '{}', 2_000, production);
      expect(refused).toMatchObject({ refusedTarget: true, error: expect.stringMatching(/refused target/) });
      expect(requests).toBe(0);
      expect(await postEvent(`http://localhost:${port}/events`, {}, '{}', 2_000, development)).toEqual({ status: 200 });
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });
});
