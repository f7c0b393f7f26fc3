// Embedded MQTT broker (aedes) for the simulator and tests: loopback only, in memory.
import net from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface EmbeddedBroker {
  port: number;
  url: string;
  /** Drops every client connection but keeps listening (a network blip). */
  dropClients(): void;
  close(): Promise<void>;
}

/** `hooks`: aedes's own, for tests that hold a CONNACK or a PUBACK back. */
export async function startBroker(
  opts: { port?: number; host?: string; hooks?: Pick<AedesOptions, 'authenticate' | 'authorizePublish'> } = {},
): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker(opts.hooks);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true); // small request/response packets: no Nagle wait (see lib/mqtt-socket.ts)
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `mqtt://${host}:${port}`,
    dropClients() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
