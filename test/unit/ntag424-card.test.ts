// The simulated NTAG 424 DNA against the reader's SUN read and the personaliser, APDU by APDU.
import test from 'ava';
import {
  cardKeys,
  diversifyKey,
  Ntag424Card,
  personalise,
  PersonaliseRefused,
  readSun,
  sunCmacValid,
  sunTemplate,
  type Transmit,
} from '../../hal/ntag424/index.ts';
import { NTAG424_VERSION } from '../../hal/ntag424/emulator.ts';

const UID = '04DE5F1EACC040';
const MASTER = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const SYSTEM = 'demo-klub';
const URL = 'https://klubkort.example/k';
const opts = { masterKey: MASTER, systemId: SYSTEM, baseUrl: URL };

/** The card in the field, with a log of every APDU and answer. */
function field(card: Ntag424Card) {
  card.powerOn();
  const log: string[] = [];
  const transmit: Transmit = async (apdu) => {
    const r = card.transmit(apdu);
    log.push(
      `${apdu.toString('hex').toUpperCase()} -> ${r
        .subarray(r.length - 2)
        .toString('hex')
        .toUpperCase()}`,
    );
    return r;
  };
  return { transmit, log };
}

/** A card personalised as klubkort issues it, on a fresh activation. */
async function issued(uid = UID): Promise<Ntag424Card> {
  const card = new Ntag424Card({ uid });
  await personalise(field(card).transmit, opts);
  card.powerOn();
  return card;
}

test("a blank card has no SUN; its files answer with the datasheet's status words", async (t) => {
  const card = new Ntag424Card({ uid: UID });
  const { transmit, log } = field(card);
  t.is(await readSun(transmit), null, 'an empty NDEF file');
  t.deepEqual(
    log.map((l) => l.slice(-4)),
    ['9000', '9000', '9000'],
  );
  const sw = (r: Buffer) =>
    r
      .subarray(r.length - 2)
      .toString('hex')
      .toUpperCase();
  t.is(sw(card.transmit(Buffer.from('00A4040C07D276000085010200', 'hex'))), '6A82', 'another application');
  t.is(sw(card.transmit(Buffer.from('00A4040C07D276000085010100', 'hex'))), '9000');
  t.is(sw(card.transmit(Buffer.from('00A4000C02E10900', 'hex'))), '6A82', 'no such file');
  t.is(sw(card.transmit(Buffer.from('00A4000C02E10500', 'hex'))), '9000');
  t.is(sw(card.transmit(Buffer.from('00B0000010', 'hex'))), '6982', 'the proprietary file needs a key');
  t.is(sw(card.transmit(Buffer.from('00CA000000', 'hex'))), '6D00');
  t.is(sw(card.transmit(Buffer.from('90FF000000', 'hex'))), '911C');
  card.powerOff();
  t.throws(() => card.transmit(Buffer.from('00A4040C07D276000085010100', 'hex')), { message: /not in the field/ });
});

test('personalised: every tap mirrors the uid and a counter one higher, with a cmac the diversified key verifies', async (t) => {
  const card = new Ntag424Card({ uid: UID });
  const done = await personalise(field(card).transmit, opts);
  t.deepEqual(done, { uid: UID, ctr: 1 });
  const k = diversifyKey(MASTER, UID, 2, SYSTEM);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const sun = await readSun(field(card).transmit);
    t.truthy(sun);
    t.is(sun!.uid, UID);
    t.true(sunCmacValid(k, UID, sun!.ctr, sun!.cmac));
    t.false(sunCmacValid(Buffer.alloc(16), UID, sun!.ctr, sun!.cmac), 'the factory key no longer makes it');
    seen.push(sun!.ctr);
  }
  t.deepEqual(seen, [2, 3, 4]);
  t.deepEqual(card.keys(), cardKeys(MASTER, UID, SYSTEM), 'all five keys are the diversified ones');
  // Reading the length and the record in one selection raises the counter once.
  t.is(card.sdmCounter, 4);
});

test('a second personalisation, a wrong key and another chip are refused with nothing written', async (t) => {
  const card = await issued();
  const before = card.keys();
  const e1 = await t.throwsAsync(personalise(field(card).transmit, opts), { instanceOf: PersonaliseRefused });
  t.is(e1.reason, 'personalised');

  const foreign = new Ntag424Card({
    uid: '04A1A2A3A4A5A6',
    keys: Array.from({ length: 5 }, () => Buffer.alloc(16, 7)),
  });
  const f = field(foreign);
  const e2 = await t.throwsAsync(personalise(f.transmit, opts), { instanceOf: PersonaliseRefused });
  t.is(e2.reason, 'wrong_key');
  t.false(
    f.log.some((l) => l.startsWith('908D') || l.startsWith('905F') || l.startsWith('90C4')),
    'no write command was sent',
  );
  t.is(foreign.fileSettings(2)!.sdm, null);

  const desfire = new Ntag424Card({
    uid: '04B1B2B3B4B5B6',
    version: { hw: Buffer.from('04010133001A05', 'hex'), sw: NTAG424_VERSION.sw },
  });
  const e3 = await t.throwsAsync(personalise(field(desfire).transmit, opts), { instanceOf: PersonaliseRefused });
  t.is(e3.reason, 'not_ntag424');
  const classic: Transmit = async () => Buffer.from('6A82', 'hex');
  t.is((await t.throwsAsync(personalise(classic, opts), { instanceOf: PersonaliseRefused })).reason, 'not_ntag424');
  t.deepEqual(card.keys(), before);
});

test('secure messaging: a ChangeFileSettings replayed outside its session is refused', async (t) => {
  const card = new Ntag424Card({ uid: UID });
  let captured: Buffer | null = null;
  const { transmit } = field(card);
  const spy: Transmit = async (apdu) => {
    if (apdu[1] === 0x5f) captured = Buffer.from(apdu);
    return transmit(apdu);
  };
  await personalise(spy, opts);
  t.truthy(captured);
  // The captured ChangeFileSettings, replayed outside its session, is refused.
  card.powerOn();
  card.transmit(Buffer.from('00A4040C07D276000085010100', 'hex'));
  const r = card.transmit(captured!);
  t.is(r.subarray(-2).toString('hex'), '91ae');
});

test('the SUN read copes with short reads, refuses garbled answers and reports a pulled card', async (t) => {
  const card = await issued();
  // A reader that hands back at most 7 bytes per READ BINARY.
  const short: Transmit = async (apdu) => {
    const r = card.transmit(apdu);
    if (apdu[1] !== 0xb0 || r.length <= 9) return r;
    return Buffer.concat([r.subarray(0, 7), r.subarray(-2)]);
  };
  const sun = await readSun(short);
  t.is(sun?.uid, UID);
  t.true(sunCmacValid(diversifyKey(MASTER, UID, 2, SYSTEM), UID, sun!.ctr, sun!.cmac));

  card.powerOn();
  let n = 0;
  const pulled: Transmit = async (apdu) => {
    if (++n === 4) throw new Error('Card was removed');
    return card.transmit(apdu);
  };
  await t.throwsAsync(readSun(pulled), { message: /removed/ });
  await t.throwsAsync(
    readSun(async () => Buffer.from([0x90])),
    { message: /no status word/ },
  );
  await t.throwsAsync(
    readSun(async () => Buffer.from('6F00', 'hex')),
    { message: /6F00/ },
  );
  t.is(await readSun(async () => Buffer.from('6E00', 'hex')), null, 'a card that speaks no ISO 7816-4');
  t.is(
    await readSun(async () => Buffer.from('9000', 'hex')),
    null,
    'a card that says OK to everything and gives nothing',
  );
});

test("the template has the contract's query and the mirror offsets point into it", (t) => {
  const tpl = sunTemplate(URL);
  const text = tpl.file.toString('latin1');
  t.is(text.slice(tpl.uidOffset - 5, tpl.uidOffset), '?uid=');
  t.is(text.slice(tpl.ctrOffset - 5, tpl.ctrOffset), '&ctr=');
  t.is(text.slice(tpl.macOffset - 6, tpl.macOffset), '&cmac=');
  t.throws(() => sunTemplate('ftp://x'), { message: /http/ });
  t.throws(() => sunTemplate('https://x/?a=1'), { message: /query/ });
});
