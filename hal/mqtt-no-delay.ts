// TCP_NODELAY on an MQTT client's socket, set again on every (re)connect. The traffic here is small
// request/response packets (tap → screen, tx → card record + result): with Nagle's algorithm a
// small write waits for the peer's delayed ACK (40 ms on Linux) whenever an earlier one is still
// unacknowledged, which made every round trip ~40–90 ms on loopback. mqtt-packet corks each
// packet, so this sends no extra segments.
import type { MqttClient } from 'mqtt';

export function noDelay(client: MqttClient): MqttClient {
  return client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true));
}
