// How an MQTT client's socket writes. TCP_NODELAY, set again on every (re)connect: the traffic
// here is small request/response packets (tap → screen, tx → card record + result), and with
// Nagle's algorithm a small write waits for the peer's delayed ACK (40 ms on Linux) whenever an
// earlier one is still unacknowledged, which made every round trip ~40–90 ms on loopback.
// mqtt-packet corks each packet, so this sends no extra segments. And coalesceWrites, below.
import type { MqttClient } from 'mqtt';
import { writeToStream } from 'mqtt-packet';

// mqtt-packet's first packet builds a cache of a 2-byte Buffer for every number up to 65,535 (packet
// ids, lengths): 65,536 objects, ~6 MB of the heap for the process's life, which every full
// collection marks again. Without it, writing a number allocates its two bytes (README,
// "cacheNumbers"). Set before any packet is written; it is process-wide, as every client here
// (the link, the sim's bus, the reference ledger) imports this module first.
writeToStream.cacheNumbers = false;

export function noDelay(client: MqttClient): MqttClient {
  return client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true));
}

/**
 * One socket write per turn of the event loop instead of one per packet: mqtt.js writes each
 * PUBACK (and each publish) as it goes, a syscall apiece, and on loopback a syscall that also runs
 * the receiver's TCP path. That was over a quarter of the terminal's main thread while a queue of
 * thousands was answered, and a fifth of the long turns of a first sync: the link acknowledges a
 * message once it is stored (link.ts), so most PUBACKs go out after a commit, in a turn of their
 * own, not in the socket read's. The first write of a turn corks the socket; it is uncorked when
 * the event loop turns (setImmediate), so nothing is ever held longer.
 */
export function coalesceWrites(client: MqttClient): MqttClient {
  return client.on('connect', () => {
    const s = client.stream as unknown as {
      cork?: () => void;
      uncork: () => void;
      write: (...a: unknown[]) => boolean;
    };
    const cork = s.cork?.bind(s);
    if (!cork || held.has(s)) return;
    held.add(s);
    const write = s.write;
    let corked = false;
    s.write = function (this: unknown, ...a: unknown[]) {
      if (!corked) {
        corked = true;
        cork();
        setImmediate(() => {
          corked = false;
          s.uncork();
        });
      }
      return write.apply(this, a);
    };
  });
}
const held = new WeakSet<object>();
