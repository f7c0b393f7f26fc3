// `klubkort card personalise` against a simulated NTAG 424 DNA behind an injected fake of nfc-pcsc's
// NFC and Reader (autoProcessing off, APDUs answered by the emulator), then a sale with that card
// on a simulated terminal over a real broker; a second personalisation is refused.
import test from 'ava';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardCommand } from '../../firmware/cli/card.ts';
import { holdCard, type HoldRequest } from '../../hal/pi/reader/card-holder.ts';
import type { NfcLike } from '../../hal/pi/reader/pcsc-session.ts';
import { Ntag424Card, readSun } from '../../hal/ntag424/index.ts';
import { NTAG424_VERSION } from '../../hal/ntag424/emulator.ts';
import { world } from '../helpers/fixture.ts';
import { until } from '../helpers/until.ts';
import { demoChildren, DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../../sim/demo-club.ts';
import { topics } from '../../contract/index.ts';

/** nfc-pcsc's Reader as far as the holder uses it: a card in the field answers through `card`. */
class FakeReader extends EventEmitter {
  autoProcessing = true;
  constructor(
    readonly name: string,
    readonly card: Ntag424Card | null,
  ) {
    super();
  }
  async transmit(apdu: Buffer, _max: number): Promise<Buffer> {
    return this.card!.transmit(apdu);
  }
  present(): void {
    this.card?.powerOn();
    // With autoProcessing on, nfc-pcsc would read the UID itself; the holder must have turned it off.
    this.emit('card', this.autoProcessing ? { uid: 'read by nfc-pcsc' } : { atr: this.card?.powerOn() });
  }
}
class FakeNfc extends EventEmitter {
  closed = false;
  close() {
    this.closed = true;
  }
}

function fakePcsc(card: Ntag424Card | null, name = 'ACS ACR122U PICC Interface 00 00') {
  const nfc = new FakeNfc();
  const reader = new FakeReader(name, card);
  const createNfc = () => {
    setImmediate(() => {
      nfc.emit('reader', reader);
      if (card) setImmediate(() => reader.present());
    });
    return nfc as unknown as NfcLike;
  };
  return {
    nfc,
    reader,
    hold: (o: HoldRequest) => holdCard({ ...o, createNfc, pcscdAvailable: async () => true }),
  };
}

function keyFile(t: import('ava').ExecutionContext, hex = DEMO_SUN_KEYS.masterKey.toString('hex')): string {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-card-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'master.key');
  writeFileSync(f, hex + '\n', { mode: 0o600 });
  return f;
}

async function run(argv: string[], hold?: ReturnType<typeof fakePcsc>['hold']) {
  const out: string[] = [],
    err: string[] = [];
  const code = await cardCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l), hold });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const args = (file: string, ...more: string[]) => [
  'personalise',
  '--master-key-file',
  file,
  '--url',
  DEMO_CARD_URL,
  '--system-id',
  DEMO_SUN_KEYS.systemId,
  '--wait',
  '2',
  ...more,
];

test('a personalised simulated card sells on a terminal; a second personalisation is refused', async (t) => {
  const file = keyFile(t);
  const uid = '04C0FFEE00AB01';
  const chip = new Ntag424Card({ uid });
  const pcsc = fakePcsc(chip);
  const first = await run(args(file), pcsc.hold);
  t.is(first.code, 0, first.err);
  t.regex(first.out, new RegExp(`UID ${uid}`));
  t.regex(first.out, /klubkort ledger auth 04C0FFEE00AB01 sun/);
  t.false(pcsc.reader.autoProcessing, 'nfc-pcsc read nothing of its own');
  t.true(pcsc.nfc.closed, 'reader released');

  const again = fakePcsc(chip);
  const second = await run(args(file), again.hold);
  t.is(second.code, 1);
  t.regex(second.err, /already personalised/);

  // The desk registers it; the child pays with it.
  const w = await world(t);
  await w.ledger.addCard(DEMO_CLUB_ID, {
    cardUid: uid,
    holderId: 'new-1',
    name: 'Ny Elev',
    balance: 5000,
    photo: null,
    auth: 'sun',
  });
  const { terminal, sim } = await w.startTerminal('kasse-1');
  await sim.waitScreen('idle', (s) => s.online && (s.view.catalog?.items.length ?? 0) > 0);
  await until(async () => (await terminal.journal.cards.count()) === demoChildren().length + 1, 'cards synced');
  await sim.key('1');
  await sim.waitScreen('basket');
  await sim.key('enter');
  await sim.waitScreen('tap');
  chip.powerOn();
  const sun = (await readSun(async (a) => chip.transmit(a)))!;
  await sim.publish(
    topics.simReader('kasse-1'),
    JSON.stringify({ action: 'tap', uid, sun: { ctr: sun.ctr, cmac: sun.cmac } }),
  );
  await sim.waitScreen('confirm');
  await sim.key('enter');
  const result = await sim.waitScreen('result');
  t.like(result.result, { status: 'approved' });
  t.is(w.ledger.card(DEMO_CLUB_ID, uid)!.sunCounter, sun.ctr);
});

test('refused with nothing written: another chip, a changed key 0; no card, no key file, bad flags', async (t) => {
  const file = keyFile(t);
  const desfire = new Ntag424Card({
    uid: '04D0D0D0D0D0D0',
    version: { hw: Buffer.from('04010133001A05', 'hex'), sw: NTAG424_VERSION.sw },
  });
  const r1 = await run(args(file), fakePcsc(desfire).hold);
  t.is(r1.code, 1);
  t.regex(r1.err, /not an NTAG 424 DNA/);
  const foreign = new Ntag424Card({
    uid: '04E0E0E0E0E0E0',
    keys: Array.from({ length: 5 }, () => Buffer.alloc(16, 0x5a)),
  });
  const r2 = await run(args(file), fakePcsc(foreign).hold);
  t.is(r2.code, 1);
  t.regex(r2.err, /wrong key/);
  t.is(foreign.fileSettings(2)!.sdm, null, 'nothing written');
  t.deepEqual(
    foreign.keys(),
    Array.from({ length: 5 }, () => Buffer.alloc(16, 0x5a)),
  );

  const none = await run(args(file, '--wait', '0.2'), fakePcsc(null).hold);
  t.is(none.code, 69);
  t.regex(none.err, /no card on the reader/);
  t.is((await run(args('/nonexistent/master.key'))).code, 66);
  t.regex((await run(args(keyFile(t, 'abcd')))).err, /32 hex/);
  t.is((await run(['personalise', '--url', DEMO_CARD_URL])).code, 64);
  t.regex((await run(args(file, '--url', 'https://x/?q=1'))).err, /query/);
  t.is((await run(['frobnicate'])).code, 64);
});

test('a card pulled away mid-personalisation is an error, not a crash', async (t) => {
  const file = keyFile(t);
  const chip = new Ntag424Card({ uid: '04F0F0F0F0F0F0' });
  const pcsc = fakePcsc(chip);
  let n = 0;
  const transmit = pcsc.reader.transmit.bind(pcsc.reader);
  pcsc.reader.transmit = async (apdu: Buffer, max: number) => {
    if (++n === 3) throw new Error('Card was removed');
    return transmit(apdu, max);
  };
  const r = await run(args(file), pcsc.hold);
  t.is(r.code, 1);
  t.regex(r.err, /pulled away/);
});
