// QoS 1 is "at least once": a message whose PUBACK the broker did not get before the connection
// ended (held back by the sync's flow control, or written but lost with the socket) comes again
// on the next connection, with its packet id (MQTT 3.1.1 § 4.4; mosquitto sets DUP, aedes does
// not). The link hands each message on once: a copy of one it handed on is dropped (and
// acknowledged). Applying it twice would change nothing, but it would count and log it twice.
import { createHash } from 'node:crypto';

/**
 * How many of a connection's last messages are remembered for the next one. More than can be
 * unacknowledged at the broker when a connection ends: one held by the flow control, and the
 * PUBACKs of one socket read (coalesceWrites) not yet written.
 */
const REMEMBERED = 1024;

type Recent = Map<number, string>;

export class Redelivery {
  /** This connection's last messages: packet id → digest of topic and payload, oldest first. */
  #recent: Recent = new Map();
  /** The last messages of the connections that ended, while their copies may still come. */
  #before: Recent | null = null;
  /** Messages of this connection looked at for copies so far. */
  #looked = 0;

  /** The connection ended: its last messages may come again on the next. */
  ended(): void {
    if (!this.#recent.size) return;
    const before = this.#before ?? new Map();
    for (const [id, digest] of this.#recent) remember(before, id, digest);
    this.#before = before;
    this.#recent = new Map();
    this.#looked = 0;
  }

  /**
   * True when this message is a copy of one already handed on: the same id, topic and payload as
   * one of the last of an ended connection. Brokers send such copies early on a new connection,
   * but not always ahead of everything new (on a busy machine aedes sent a retained message of the
   * new subscription first), so the lookout lasts the connection's first REMEMBERED messages. An
   * id is reused once its PUBACK arrived, and aedes begins each connection at a random id: a new
   * message taken for a copy needs the same id, topic and payload, and every message of the
   * contract is idempotent (versioned records, content-addressed photos, results by txId).
   */
  again(id: number | undefined, topic: string, payload: Buffer): boolean {
    if (id === undefined) return false;
    const digest = createHash('sha1').update(topic).update('\0').update(payload).digest('base64');
    const before = this.#before;
    if (before) {
      if (before.get(id) === digest) {
        before.delete(id);
        return true;
      }
      if (++this.#looked >= REMEMBERED || before.size === 0) this.#before = null;
    }
    remember(this.#recent, id, digest);
    return false;
  }
}

function remember(m: Recent, id: number, digest: string): void {
  m.delete(id);
  m.set(id, digest);
  const oldest = m.keys().next();
  if (m.size > REMEMBERED && !oldest.done) m.delete(oldest.value);
}
