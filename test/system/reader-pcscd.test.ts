// The ACR122U driver through the real PC/SC stack: a pcscd of the test's own with vsmartcard's
// virtual reader, nfc-pcsc's native binding, and a virtual card in Node (helpers/vpcd-card.ts).
import test from 'ava';
import { Writable } from 'node:stream';
import { Acr122uReader, probePcscd } from '../../hal/pi/reader/acr122u-reader.ts';
import { createLogger } from '../../lib/log.ts';
import { startVirtualPcsc, type VirtualPcsc } from '../helpers/pcscd.ts';
import { ntag424Card, uidCard, VirtualCard } from '../helpers/vpcd-card.ts';
import { hungCardFor } from '../helpers/vpcd-hung-card.ts';
import type { Ntag424Card } from '../../hal/ntag424/index.ts';
import { genuineSun, issuedChip } from '../helpers/sun-chip.ts';
import type { CardTap } from '../../hal/types.ts';
import { until } from '../helpers/until.ts';

let pcsc: VirtualPcsc;
test.before(async () => {
  pcsc = await startVirtualPcsc();
  // libpcsclite reads it when the first context is made (later in this process).
  process.env.PCSCLITE_CSOCK_NAME = pcsc.socket;
});
test.after.always(async () => {
  await pcsc?.close();
});

function driver(t: import('ava').ExecutionContext) {
  let logs = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs += String(chunk);
      cb();
    },
  });
  const reader = new Acr122uReader({
    readerName: 'Virtual PCD 00 00',
    pcscdAvailable: () => probePcscd(pcsc.socket),
    usbPresent: async () => null,
    restartPcscd: async () => {
      await pcsc.kill();
      await pcsc.start();
    },
    retryMinMs: 200,
    retryMaxMs: 500,
    readTimeoutMs: 1000,
    log: createLogger({ level: 'debug', destination: sink }),
  });
  const events: string[] = [];
  const taps: CardTap[] = [];
  reader.on('card', (tap) => {
    events.push(`card ${tap.uid}`);
    taps.push(tap);
  });
  reader.on('removed', () => events.push('removed'));
  reader.on('error', (err) => events.push(`error ${err.message}`));
  reader.on('status', (s) => events.push(`status ${s}`));
  const cards: VirtualCard[] = [];
  t.teardown(async () => {
    for (const c of cards) c.remove();
    // The next test's driver must find the field empty: wait until PC/SC saw every card leave.
    const count = (m: string) => logs.split(`${m}"`).length - 1;
    await until(() => count('card left the field') >= count('card in the field'), 'the field empty', 10_000).catch(
      () => undefined,
    );
    await reader.stop();
    if (!t.passed) t.log(`events: ${events.join(' | ')}\ndriver log:\n${logs.slice(-4000)}`);
  });
  /** A virtual card that the test's end takes away whatever happened. */
  const card = (respond: ConstructorParameters<typeof VirtualCard>[1]) => {
    const c = new VirtualCard(pcsc.port, respond);
    cards.push(c);
    return c;
  };
  /** hal/ntag424's emulated chip on the virtual reader. */
  const chipCard = (chip: Ntag424Card, wrap?: Parameters<typeof ntag424Card>[2]) => {
    const c = ntag424Card(pcsc.port, chip, wrap);
    cards.push(c);
    return c;
  };
  /** PC/SC saw the field empty `n` times in all (a card swapped at once would be no change to it). */
  const leftTimes = (n: number) =>
    until(() => logs.split('card left the field"').length - 1 >= n, `card off #${n}`, 10_000);
  return { reader, events, taps, logs: () => logs, card, chipCard, leftTimes };
}

test.serial('a UID card tapped on the virtual reader is one card event with its UID, then removed', async (t) => {
  const d = driver(t);
  await d.reader.start();
  await until(() => d.reader.status === 'ready', 'reader ready');
  const card = d.card(uidCard('04A1B2C3D4E5F6'));
  await card.insert();
  await until(() => d.events.includes('card 04A1B2C3D4E5F6'), 'card event', 10_000);
  t.true(
    card.received.some((a) => a.equals(Buffer.from('ffca000000', 'hex'))),
    'GET DATA went to the card',
  );
  card.remove();
  await until(() => d.events.includes('removed'), 'removed', 10_000);
  t.deepEqual(
    d.events.filter((e) => e.startsWith('card') || e === 'removed'),
    ['card 04A1B2C3D4E5F6', 'removed'],
  );
  t.false(/04A1B2C3D4E5F6/.test(d.logs()), 'logs carry only the masked UID');
});

const GET_UID = Buffer.from('ffca000000', 'hex');
const BEEPER_OFF = Buffer.from('ff00520000', 'hex');

test.serial(
  'an NTAG 424 DNA on the virtual reader: one card event with the SUN it mirrored; pulled away mid-read it is a read error',
  async (t) => {
    const d = driver(t);
    await d.reader.start();
    await until(() => d.reader.status === 'ready', 'reader ready');
    const uid = '04C1C2C3C4C5C6';
    const chip = await issuedChip(uid);
    const card = d.chipCard(chip);
    await card.insert();
    await until(() => d.events.includes(`card ${uid}`), 'card event', 10_000);
    const tap = d.taps[0]!;
    t.like(tap, { uid, sun: { uid, ctr: chip.sdmCounter } });
    t.true(genuineSun(uid, tap.sun!), "the chip's own cmac, through pcscd");
    t.deepEqual(
      card.received.slice(0, 3).map((a) => a.toString('hex')),
      ['ffca000000', '00a4040c07d276000085010100', '00a4000c02e10400'],
    );
    card.remove();
    await d.leftTimes(1);
    // The same chip, taken away as the record is being read.
    let reads = 0;
    const pulled: VirtualCard = d.chipCard(chip, (respond) => (a) => {
      if (a[1] === 0xb0 && ++reads === 2) {
        pulled.remove();
        return new Promise<Buffer>(() => undefined);
      }
      return respond(a);
    });
    await pulled.insert();
    await until(() => d.events.some((e) => e.startsWith('error')), 'read error', 10_000);
    t.deepEqual(
      d.events.filter((e) => e.startsWith('card')),
      [`card ${uid}`],
      'no second card',
    );
    await d.leftTimes(2);
  },
);

test.serial('a card that goes away in the middle of the read is a read error, never a card', async (t) => {
  const d = driver(t);
  await d.reader.start();
  await until(() => d.reader.status === 'ready', 'reader ready');
  const card: VirtualCard = d.card((apdu) => {
    if (apdu.equals(GET_UID)) {
      card.remove();
      return new Promise<Buffer>(() => undefined);
    }
    return Buffer.from('6a81', 'hex');
  });
  await card.insert();
  await until(() => d.events.some((e) => e.startsWith('error')), 'read error', 10_000);
  t.false(d.events.some((e) => e.startsWith('card')));
  t.is(d.reader.status, 'ready', 'the reader answered (with an error): still ready');
  await d.leftTimes(1);
  // The next card reads fine.
  const next = d.card(uidCard('04112233'));
  await next.insert();
  await until(() => d.events.includes('card 04112233'), 'next card', 10_000);
  next.remove();
});

test.serial(
  'the ACR122U commands go out as the real reader expects; a reader refusing them changes nothing but a log line',
  async (t) => {
    const d = driver(t);
    await d.reader.start();
    await until(() => d.reader.status === 'ready', 'reader ready');
    // vpcd has no escape commands (SCardControl): the beeper setup is refused and logged...
    await until(
      () => d.logs().includes('could not switch the reader beeper off by escape command'),
      'beeper escape refused',
    );
    await t.throwsAsync(d.reader.signal({ led: 'green', buzzer: 'approve' }));
    // ...and the beeper command goes with the first card, which (being no ACR122U) refuses it.
    const card = d.card(uidCard('04A1B2C3', () => Buffer.from('6a81', 'hex')));
    await card.insert();
    await until(() => d.events.includes('card 04A1B2C3'), 'card', 10_000);
    await until(() => card.received.some((a) => a.equals(BEEPER_OFF)), 'beeper-off pseudo-APDU sent');
    // The LED command by transmit while the card is on the reader, as the ACR122U takes it then.
    await t.throwsAsync(d.reader.signal({ led: 'red', buzzer: 'decline' }), { message: 'reader answered 6a81' });
    t.true(
      card.received.some((a) => a.equals(Buffer.from('ff00400d0407000101', 'hex'))),
      'FF 00 40: LED red, one 700 ms beep',
    );
    await until(() => d.logs().includes('could not switch the reader beeper off'), 'refusal logged');
    t.is(d.reader.status, 'ready');
    t.deepEqual(
      d.events.filter((e) => e.startsWith('card') || e.startsWith('error')),
      ['card 04A1B2C3'],
      'no error, no second tap',
    );
    card.remove();
  },
);

test.serial(
  'pcscd killed and started again: the reader is unplugged meanwhile, then ready and reading, without a restart',
  async (t) => {
    const d = driver(t);
    await d.reader.start();
    await until(() => d.reader.status === 'ready', 'reader ready');
    await pcsc.kill();
    await until(() => d.reader.status === 'unplugged', 'unplugged while pcscd is gone', 10_000);
    await pcsc.start();
    await until(() => d.reader.status === 'ready', 'ready again', 15_000);
    const card = d.card(uidCard('04A1B2C3'));
    await card.insert();
    await until(() => d.events.includes('card 04A1B2C3'), 'card after the restart', 10_000);
    card.remove();
    t.deepEqual(
      d.events.filter((e) => e.startsWith('status')),
      ['status ready', 'status unplugged', 'status ready'],
    );
  },
);

test.serial(
  'a reader that never answers: timeouts, context rebuilt, pcscd restarted, re-plug asked for; a card that answers heals it',
  async (t) => {
    const d = driver(t);
    await d.reader.start();
    await until(() => d.reader.status === 'ready', 'reader ready');
    const pid = pcsc.pid;
    const count = (what: string) => d.events.filter((e) => e.includes(what)).length;
    const left = () => d.logs().split('card left the field"').length - 1;
    /** A card whose reads the reader never answers: one timeout, then it is taken away (see vpcd-hung-card.ts). */
    const hung = async (attempts = 2): Promise<void> => {
      const timeouts = count('no answer from the reader');
      const before = left();
      const card = await hungCardFor(pcsc.port, 4000);
      // Just after a new context (a fresh PC/SC child) attached, a card put on at once can go unseen
      // for its whole stay, as a tap may; the cashier taps again, and so does this.
      const timedOut = await until(() => count('no answer from the reader') > timeouts, 'a timeout', 15_000).then(
        () => true,
        () => false,
      );
      await card.gone;
      if (!timedOut) {
        if (attempts <= 1) throw new Error('no read timeout for a card the reader never answers');
        return hung(attempts - 1);
      }
      // Mid-rebuild the old context may be the one that sees it leave, or none: then give pcscd a moment.
      await until(() => left() > before, 'the card off the field', 3000).catch(
        () => new Promise((r) => setTimeout(r, 1500)),
      );
    };
    await hung();
    t.is(d.reader.status, 'not_answering');
    await hung();
    await hung();
    await until(() => d.logs().includes('rebuilding the PC/SC context'), 'context rebuilt');
    await until(() => d.reader.attached, 'the reader back in the new context', 15_000);
    await hung();
    await hung();
    await hung();
    await until(() => d.reader.status === 'replug', 'cashier asked to re-plug', 15_000);
    t.not(pcsc.pid, pid, 'pcscd was restarted');
    await until(() => d.reader.attached, 'the reader back after the pcscd restart', 15_000);
    const card = d.card(uidCard('04A1B2C3'));
    await card.insert();
    await until(() => d.events.includes('card 04A1B2C3'), 'a card read', 15_000);
    t.is(d.reader.status, 'ready');
    card.remove();
    t.deepEqual(
      d.events.filter((e) => e.startsWith('status')),
      ['status ready', 'status not_answering', 'status replug', 'status ready'],
    );
  },
);
