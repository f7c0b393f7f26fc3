// The terminal's MQTT clients write packets without mqtt-packet's cache of numbers (65,536 Buffers,
// ~6 MB of the heap for the process's life, marked by every full collection): importing the link is
// enough, as the daemon does before its first packet. The packets are the same bytes either way.
import test from 'ava';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import '../../firmware/ledger/link.ts';
import { writeToStream, type IPublishPacket } from 'mqtt-packet';

const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };

test("packets are written without building mqtt-packet's cache of 65,536 numbers, and their bytes are the same", async (t) => {
  const out = new PassThrough();
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: 'klubkort/v1/terminal/t-1/tx',
    payload: Buffer.from('{"txId":"x"}'),
    qos: 1,
    messageId: 0x1234,
    dup: false,
    retain: false,
  };
  writeToStream(packet, out);
  writeToStream({ cmd: 'puback', messageId: 65_535 }, out);
  t.is(Object.keys(numbers.cache).length, 0, 'no number cached');
  // mqtt-packet corks the stream and uncorks it on the next tick.
  await new Promise((r) => setImmediate(r));
  const bytes = out.read() as Buffer;
  // 0x32: PUBLISH, QoS 1; the remaining length; the topic's length and bytes; the packet id; the payload.
  const topic = Buffer.from(packet.topic);
  const body = Buffer.concat([
    Buffer.from([0, topic.length]),
    topic,
    Buffer.from([0x12, 0x34]),
    packet.payload as Buffer,
  ]);
  t.deepEqual(bytes, Buffer.concat([Buffer.from([0x32, body.length]), body, Buffer.from([0x40, 2, 0xff, 0xff])]));
});
