// How an MQTT client's socket writes. TCP_NODELAY, set again on every (re)connect: the traffic
// here is small request/response packets (tap → screen, tx → card record + result), and with
// Nagle's algorithm a small write waits for the peer's delayed ACK (40 ms on Linux) whenever an
// earlier one is still unacknowledged, which made every round trip ~40–90 ms on loopback.
// mqtt-packet corks each packet, so this sends no extra segments. And coalesceWrites, below.
import type { MqttClient } from 'mqtt';

export function noDelay(client: MqttClient): MqttClient {
  return client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true));
}

/**
 * One socket write per read instead of one per packet: mqtt.js handles each packet of a read in
 * its own tick and writes each PUBACK (and each publish) as it goes, a syscall apiece, which was
 * over a quarter of the terminal's main thread while a queue of thousands was being answered.
 * Held only until the event loop turns (setImmediate), so none is ever late by more.
 */
export function coalesceWrites(client: MqttClient): MqttClient {
  return client.on('connect', () => {
    const s = client.stream as unknown as {
      cork?: () => void;
      uncork: () => void;
      prependListener: (e: 'data', f: () => void) => void;
    };
    const cork = s.cork?.bind(s);
    if (!cork || corked.has(s)) return;
    corked.add(s);
    s.prependListener('data', () => {
      cork();
      setImmediate(() => s.uncork());
    });
  });
}
const corked = new WeakSet<object>();
