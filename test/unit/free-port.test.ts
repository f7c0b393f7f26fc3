// Test brokers listen on a port no outgoing connection can take meanwhile: below the kernel's
// ephemeral range (CI saw mosquitto fail with "Address already in use" on a port from listen(0)).
import test from 'ava';
import net from 'node:net';
import { ephemeralPorts, freePort } from '../helpers/mosquitto.ts';

test('a free port is below the ephemeral range and can be listened on', async (t) => {
  const { low } = ephemeralPorts();
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    t.true(port < low, `port ${port} below ${low}`);
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('two consecutive free ports on every address for the virtual card reader (pcscd.ts)', async (t) => {
  const { low } = ephemeralPorts();
  for (let i = 0; i < 10; i++) {
    const port = await freePort(2, '0.0.0.0');
    t.true(port + 1 < low, `ports ${port}, ${port + 1} below ${low}`);
    const servers = [net.createServer(), net.createServer()];
    await Promise.all(
      servers.map(
        (srv, k) =>
          new Promise<void>((resolve, reject) => {
            srv.once('error', reject);
            srv.listen(port + k, '0.0.0.0', resolve);
          }),
      ),
    );
    await Promise.all(servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
  }
});
