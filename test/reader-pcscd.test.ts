// The ACR122U driver through the real PC/SC stack: a pcscd of the test's own with vsmartcard's
// virtual reader, nfc-pcsc's native binding, and a virtual card in Node (helpers/vpcd-card.ts).
import test from 'ava';
import { Writable } from 'node:stream';
import { Acr122uReader, probePcscd } from '../hal/pi/acr122u-reader.ts';
import { createLogger } from '../hal/log.ts';
import { startVirtualPcsc, type VirtualPcsc } from './helpers/pcscd.ts';
import { uidCard, VirtualCard } from './helpers/vpcd-card.ts';
import { until } from './helpers/until.ts';

let pcsc: VirtualPcsc;
test.before(async () => {
  pcsc = await startVirtualPcsc();
  // libpcsclite reads it when the first context is made (later in this process).
  process.env.PCSCLITE_CSOCK_NAME = pcsc.socket;
});
test.after.always(async () => { await pcsc?.close(); });

function driver(t: import('ava').ExecutionContext) {
  let logs = '';
  const sink = new Writable({ write(chunk, _enc, cb) { logs += String(chunk); cb(); } });
  const reader = new Acr122uReader({
    readerName: 'Virtual PCD 00 00',
    pcscdAvailable: () => probePcscd(pcsc.socket),
    usbPresent: async () => null,
    restartPcscd: async () => { await pcsc.kill(); await pcsc.start(); },
    retryMinMs: 200, retryMaxMs: 500,
    log: createLogger({ level: 'debug', destination: sink }),
  });
  const events: string[] = [];
  reader.on('card', (tap) => events.push(`card ${tap.uid}`));
  reader.on('removed', () => events.push('removed'));
  reader.on('error', (err) => events.push(`error ${err.message}`));
  reader.on('status', (s) => events.push(`status ${s}`));
  t.teardown(() => reader.stop());
  return { reader, events, logs: () => logs };
}

test.serial('a UID card tapped on the virtual reader is one card event with its UID, then removed', async (t) => {
  const d = driver(t);
  await d.reader.start();
  await until(() => d.reader.status === 'ready', 'reader ready');
  const card = new VirtualCard(pcsc.port, uidCard('04A1B2C3D4E5F6'));
  await card.insert();
  await until(() => d.events.includes('card 04A1B2C3D4E5F6'), 'card event', 10_000);
  t.true(card.received.some((a) => a.equals(Buffer.from('ffca000000', 'hex'))), 'GET DATA went to the card');
  card.remove();
  await until(() => d.events.includes('removed'), 'removed', 10_000);
  t.deepEqual(d.events.filter((e) => e.startsWith('card') || e === 'removed'), ['card 04A1B2C3D4E5F6', 'removed']);
  t.false(/04A1B2C3D4E5F6/.test(d.logs()), 'logs carry only the masked UID');
});
