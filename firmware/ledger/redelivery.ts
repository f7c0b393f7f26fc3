// QoS 1 is "at least once": a message whose PUBACK the broker did not get before the connection
// ended (held back by the sync's flow control, or lost with the socket) comes again on the next
// connection, with the same packet id and the DUP flag (MQTT 3.1.1 § 4.4). The link hands each
// message on once: such a copy of one it handed on recently is dropped (and acknowledged). Applying
// it twice would change nothing, but it would count and log a bad message twice.
import { createHash } from 'node:crypto';

/**
 * How many handed-on messages are remembered. More than a broker has in flight to one client at a
 * time (mosquitto: max_inflight_messages, 20 by default; aedes: what fits in the socket buffers).
 */
const REMEMBERED = 4096;

export class Redelivery {
  /** Packet id → digest of topic and payload, oldest first. */
  readonly #recent = new Map<number, string>();

  /**
   * True when this message is a copy of one already handed on: DUP set, and the same id, topic and
   * payload. The id alone does not tell: once its PUBACK arrived, the broker may reuse an id for
   * another message, which a dropped connection may leave unread and the broker then sends with DUP.
   */
  again(id: number | undefined, dup: boolean, topic: string, payload: Buffer): boolean {
    if (id === undefined) return false;
    const digest = createHash('sha1').update(topic).update('\0').update(payload).digest('base64');
    if (dup && this.#recent.get(id) === digest) return true;
    this.#recent.delete(id);
    this.#recent.set(id, digest);
    if (this.#recent.size > REMEMBERED) this.#recent.delete(this.#recent.keys().next().value!);
    return false;
  }
}
