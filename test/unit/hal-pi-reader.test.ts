// The ACR122U driver against fakes of nfc-pcsc's NFC and Reader objects that behave as the library
// does (events in, calls out, its synchronous throws and swallowed connect errors), on a manual clock.
import test from 'ava';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Acr122uReader, parseUidResponse, type Acr122uReaderOptions } from '../../hal/pi/reader/acr122u-reader.ts';
import { ManualTimers } from '../helpers/manual-timers.ts';
import { createLogger } from '../../firmware/log.ts';
import { Ntag424Card, NTAG424_ATR } from '../../hal/ntag424/index.ts';
import { genuineSun, issuedChip } from '../helpers/sun-chip.ts';

const OK = Buffer.from([0x90, 0x00]);
const GET_UID = Buffer.from('ffca000000', 'hex');
const ATR_14443_3 = Buffer.from('3b8f8001804f0ca000000306030001000000006a', 'hex');

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** nfc-pcsc's Reader as seen from outside. */
class FakeReader extends EventEmitter {
  autoProcessing = true;
  card: { atr: Buffer; standard: string } | null = null;
  connection: { mode: string } | null = null;
  calls: string[] = [];
  closed = false;
  /** Bytes the card answers GET DATA with (UID + status), or a pending answer. */
  uidAnswer: Buffer | Promise<Buffer> = OK;
  /** What the card answers to any other APDU (an ISO 14443-4 card's SELECT, READ BINARY). */
  respond: (apdu: Buffer) => Buffer | Promise<Buffer> = () => Buffer.from('6d00', 'hex');
  controlAnswer: () => Promise<Buffer> = async () => OK;
  constructor(readonly name = 'ACS ACR122U PICC Interface 00 00') {
    super();
  }

  connect(mode = 'CONNECT_MODE_CARD') {
    this.calls.push(`connect ${mode}`);
    this.connection = { mode };
    return Promise.resolve(this.connection);
  }
  disconnect() {
    if (!this.connection) throw new Error('Reader in not connected. No need for disconnecting.');
    this.calls.push('disconnect');
    this.connection = null;
    return Promise.resolve(true);
  }
  transmit(data: Buffer, _max: number): Promise<Buffer> {
    if (!this.card || !this.connection) throw new Error('No card or connection available.');
    this.calls.push(`transmit ${data.toString('hex')}`);
    // The reader itself answers its pseudo-APDUs (class FF, INS 00: beeper, LED).
    if (data[0] === 0xff && data[1] === 0x00) return Promise.resolve(OK);
    return data.equals(GET_UID) ? Promise.resolve(this.uidAnswer) : Promise.resolve().then(() => this.respond(data));
  }
  control(data: Buffer, _max: number): Promise<Buffer> {
    if (!this.connection) throw new Error('No connection available.');
    this.calls.push(`control ${data.toString('hex')}`);
    return this.controlAnswer();
  }
  close() {
    this.closed = true;
  }

  // What the library does on a PC/SC status change:
  /** A card enters the field: it connects, then emits 'card' (autoProcessing off). */
  async insert(uidHex: string | null, atr = ATR_14443_3) {
    if (uidHex !== null) this.uidAnswer = Buffer.concat([Buffer.from(uidHex, 'hex'), OK]);
    this.card = { atr, standard: atr[5] === 0x4f ? 'TAG_ISO_14443_3' : 'TAG_ISO_14443_4' };
    await this.connect();
    if (!this.autoProcessing) this.emit('card', { ...this.card });
  }
  /** A card enters and leaves before the connect completes: the library swallows the error. */
  insertFailingConnect() {
    this.card = { atr: ATR_14443_3, standard: 'TAG_ISO_14443_3' };
  }
  remove() {
    if (this.card) this.emit('card.off', { ...this.card });
    this.card = null;
    this.connection = null;
  }
  unplug() {
    this.emit('end');
  }
}

class FakeNfc extends EventEmitter {
  closed = false;
  close() {
    this.closed = true;
  }
  plug(r: FakeReader) {
    this.emit('reader', r);
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(opts: Acr122uReaderOptions = {}) {
  const timers = new ManualTimers();
  const nfcs: FakeNfc[] = [];
  const state = { pcscd: true, usb: null as boolean | null, restarts: 0, restartFails: false };
  let logs = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs += String(chunk);
      cb();
    },
  });
  const reader = new Acr122uReader({
    timers,
    log: createLogger({ level: 'debug', destination: sink }),
    createNfc: () => {
      const n = new FakeNfc();
      nfcs.push(n);
      return n;
    },
    pcscdAvailable: async () => state.pcscd,
    usbPresent: async () => state.usb,
    restartPcscd: async () => {
      state.restarts++;
      if (state.restartFails) throw new Error('Interactive authentication required.');
    },
    ...opts,
  });
  const events: string[] = [];
  reader.on('card', (tap) => events.push(`card ${tap.uid}`));
  reader.on('removed', () => events.push('removed'));
  reader.on('attached', () => events.push('attached'));
  reader.on('detached', () => events.push('detached'));
  reader.on('error', (err) => events.push(`error ${err.message}`));
  const statuses: string[] = [];
  reader.on('status', (st) => statuses.push(st));
  const nfc = () => nfcs[nfcs.length - 1];
  /** Starts with one reader plugged in and its beeper setup done. */
  const startWithReader = async (r = new FakeReader()) => {
    await reader.start();
    nfc().plug(r);
    await flush();
    events.length = 0;
    r.calls.length = 0;
    return r;
  };
  return { reader, timers, nfcs, nfc, state, events, statuses, logs: () => logs, startWithReader };
}

test('a tap gives one card event with the UID in upper-case hex, then removed', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await r.insert('04a1b2c3');
  await flush();
  t.deepEqual(s.events, ['card 04A1B2C3']);
  t.deepEqual(r.calls, ['connect CONNECT_MODE_CARD', 'transmit ffca000000']);
  r.remove();
  s.timers.advance(300);
  t.deepEqual(s.events, ['card 04A1B2C3', 'removed']);
  t.true(s.reader.attached);
});

test('4, 7 and 10 byte UIDs are read; logs carry only masked UIDs', async (t) => {
  const s = setup({ removeDebounceMs: 0 });
  const r = await s.startWithReader();
  for (const uid of ['deadbeef', '04112233445566', '04112233445566778899']) {
    await r.insert(uid);
    await flush();
    r.remove();
  }
  t.deepEqual(
    s.events.filter((e) => e !== 'removed'),
    ['card DEADBEEF', 'card 04112233445566', 'card 04112233445566778899'],
  );
  t.is(s.events.filter((e) => e === 'removed').length, 3);
  await flush();
  t.true(s.logs().includes('"****BEEF"'));
  t.false(/DEADBEEF|04112233445566/i.test(s.logs()));
});

test('a card resting on the reader is one tap, even when the field flickers', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await r.insert('04a1b2c3');
  await flush();
  // The library reports the same card again without a card.off: ignored.
  r.emit('card', { ...r.card });
  await flush();
  // The card drops out of the field for a moment and is read again.
  r.remove();
  s.timers.advance(100);
  await r.insert('04a1b2c3');
  await flush();
  s.timers.advance(60_000);
  t.deepEqual(s.events, ['card 04A1B2C3']);
  r.remove();
  s.timers.advance(300);
  t.deepEqual(s.events, ['card 04A1B2C3', 'removed']);
});

test('another card right after one is a new tap, and the first one is reported removed', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await r.insert('04a1b2c3');
  await flush();
  r.remove();
  await r.insert('04d4e5f6');
  await flush();
  t.deepEqual(s.events, ['card 04A1B2C3', 'removed', 'card 04D4E5F6']);
});

test('a card pulled away mid-read gives one error and no UID', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  const answer = deferred<Buffer>();
  r.uidAnswer = answer.promise;
  await r.insert(null);
  r.remove();
  answer.reject(new Error('An error occurred while transmitting.'));
  await flush();
  s.timers.advance(1000);
  t.deepEqual(s.events, ['error An error occurred while transmitting.']);

  // Even when the answer comes after the card.off, its UID is not reported.
  const late = deferred<Buffer>();
  r.uidAnswer = late.promise;
  await r.insert(null);
  r.remove();
  late.resolve(Buffer.from('04a1b2c39000', 'hex'));
  await flush();
  s.timers.advance(1000);
  t.deepEqual(s.events.slice(1), ['error card left the field during the read']);
});

test('a card gone before the library could connect gives an error (the library swallows it)', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  r.insertFailingConnect();
  r.remove();
  t.deepEqual(s.events, ['error card left the field before it could be read']);
});

test('malformed, half or refused UIDs are errors, never a card', async (t) => {
  const s = setup({ removeDebounceMs: 0 });
  const r = await s.startWithReader();
  for (const answer of ['0102030405' + '9000', '010203' + '9000', '6300', '90']) {
    r.uidAnswer = Buffer.from(answer, 'hex');
    await r.insert(null);
    await flush();
    r.remove();
  }
  t.deepEqual(s.events, [
    'error UID of 5 bytes (4, 7 or 10 expected)',
    'error UID of 3 bytes (4, 7 or 10 expected)',
    'error UID read refused (status 6300)',
    'error UID read refused (status 90)',
  ]);
  t.throws(() => parseUidResponse(Buffer.from('9000', 'hex')), { message: 'UID of 0 bytes (4, 7 or 10 expected)' });
});

test('a read the reader never answers (USB timeout) is an error; the next tap works', async (t) => {
  const s = setup({ readTimeoutMs: 2000 });
  const r = await s.startWithReader();
  r.uidAnswer = new Promise<Buffer>(() => undefined);
  await r.insert(null);
  s.timers.advance(2000);
  await flush();
  t.deepEqual(s.events, ['error UID read: no answer from the reader within 2000 ms (USB timeout?)']);
  r.remove();
  s.timers.advance(1000);
  await r.insert('04a1b2c3');
  await flush();
  t.deepEqual(s.events.slice(1), ['card 04A1B2C3']);
});

test('the ACR122U beeper is switched off when the reader attaches', async (t) => {
  const s = setup();
  await s.reader.start();
  const r = new FakeReader();
  s.nfc().plug(r);
  await flush();
  t.false(r.autoProcessing);
  t.deepEqual(r.calls, ['connect CONNECT_MODE_DIRECT', 'control ff00520000', 'disconnect']);
  t.deepEqual(s.events, ['attached']);
});

test('without escape commands, the beeper is switched off through the first card instead', async (t) => {
  const s = setup();
  await s.reader.start();
  const r = new FakeReader();
  r.controlAnswer = () => Promise.reject(new Error('SCardControl error: Transaction failed.(0x80100016)'));
  s.nfc().plug(r);
  await flush();
  r.calls.length = 0;
  await r.insert('04a1b2c3');
  await flush();
  t.deepEqual(r.calls, ['connect CONNECT_MODE_CARD', 'transmit ffca000000', 'transmit ff00520000']);
  t.deepEqual(s.events, ['attached', 'card 04A1B2C3']);
});

test('a card already on the reader when it attaches is read after the beeper setup', async (t) => {
  const s = setup();
  await s.reader.start();
  const r = new FakeReader();
  const control = deferred<Buffer>();
  r.controlAnswer = () => control.promise;
  s.nfc().plug(r);
  await r.insert('04a1b2c3'); // connects while the beeper setup holds the connection
  control.resolve(OK);
  await flush();
  t.deepEqual(s.events, ['attached', 'card 04A1B2C3']);
});

test('an unplugged reader is detached, and found again when plugged back', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await r.insert('04a1b2c3');
  await flush();
  r.unplug();
  t.deepEqual(s.events, ['card 04A1B2C3', 'removed', 'detached']);
  t.false(s.reader.attached);
  t.false(r.closed, 'never closed inside its own end event (pcsclite holds the reader mutex there)');
  await flush();
  t.true(r.closed);
  t.true(s.nfcs[0].closed);
  // A fresh context is opened after a backoff, and picks up the reader when it comes back.
  s.timers.advance(1000);
  await flush();
  t.is(s.nfcs.length, 2);
  s.nfc().plug(new FakeReader());
  await flush();
  t.deepEqual(s.events.slice(3), ['attached']);
  t.true(s.reader.attached);
});

test('no reader at boot: detached after a while, attached when it shows up', async (t) => {
  const s = setup({ readerWaitMs: 3000 });
  await s.reader.start();
  t.deepEqual(s.events, []);
  s.timers.advance(3000);
  t.deepEqual(s.events, ['detached']);
  s.nfc().plug(new FakeReader());
  await flush();
  t.deepEqual(s.events, ['detached', 'attached']);
});

test('start() without pcscd does not throw or block: detached, then recovers when pcscd comes up', async (t) => {
  const s = setup({ retryMinMs: 1000, retryMaxMs: 4000 });
  s.state.pcscd = false;
  await s.reader.start();
  t.deepEqual(s.events, ['detached']);
  t.is(s.nfcs.length, 0, 'NFC is never constructed while pcscd is absent');
  s.timers.advance(1000 + 2000);
  await flush();
  t.is(s.nfcs.length, 0);
  s.state.pcscd = true;
  s.timers.advance(4000);
  await flush();
  t.is(s.nfcs.length, 1);
  s.nfc().plug(new FakeReader());
  await flush();
  t.deepEqual(s.events, ['detached', 'attached']);
});

test('a pcscd failure drops the context and a new one is made once pcscd is back', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  s.state.pcscd = false;
  s.nfc().emit('error', new Error('SCardGetStatusChange error: RPC transport error.(0x80100013)'));
  t.deepEqual(s.events, ['detached']);
  await flush();
  t.true(s.nfcs[0].closed);
  t.true(r.closed);
  // Late events from the dead context change nothing.
  r.emit('error', new Error('SCardGetStatusChange error'));
  await r.insert('04a1b2c3').catch(() => undefined);
  await flush();
  t.deepEqual(s.events, ['detached']);
  s.timers.advance(1000);
  await flush();
  t.is(s.nfcs.length, 1);
  s.state.pcscd = true;
  s.timers.advance(2000);
  await flush();
  t.is(s.nfcs.length, 2);
  const r2 = new FakeReader();
  s.nfc().plug(r2);
  await flush();
  await r2.insert('04a1b2c3');
  await flush();
  t.deepEqual(s.events, ['detached', 'attached', 'card 04A1B2C3']);
});

test('a failing NFC constructor is retried, not thrown', async (t) => {
  let calls = 0;
  const s = setup({
    createNfc: () => {
      calls++;
      throw new Error('SCardEstablishContext error');
    },
  });
  await s.reader.start();
  t.deepEqual(s.events, ['detached']);
  s.timers.advance(1000);
  await flush();
  t.is(calls, 2);
});

test('reader.name picks the reader; others are ignored', async (t) => {
  const s = setup({ readerName: 'acr122' });
  await s.reader.start();
  const other = new FakeReader('Yubico YubiKey OTP+FIDO+CCID 00 00');
  s.nfc().plug(other);
  await flush();
  t.deepEqual(s.events, []);
  t.true(other.autoProcessing);
  s.nfc().plug(new FakeReader());
  await flush();
  t.deepEqual(s.events, ['attached']);
});

test('a second reader waits on standby and takes over when the first is unplugged', async (t) => {
  const s = setup();
  const first = await s.startWithReader();
  const second = new FakeReader('ACS ACR122U PICC Interface 01 00');
  s.nfc().plug(second);
  await flush();
  first.unplug();
  await flush();
  await second.insert('04a1b2c3');
  await flush();
  t.deepEqual(s.events, ['card 04A1B2C3']);
  t.is(s.nfcs.length, 1);
});

test('stop() releases the context, readers and timers; late events are ignored', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await r.insert('04a1b2c3');
  await flush();
  await s.reader.stop();
  await flush();
  t.true(r.closed);
  t.true(s.nfc().closed);
  t.is(s.timers.pending, 0);
  r.remove();
  r.unplug();
  s.nfc().emit('error', new Error('late'));
  s.timers.advance(60_000);
  t.deepEqual(s.events, ['card 04A1B2C3']);
  t.false(s.reader.attached);
  await s.reader.stop();
  // Starts again after a stop.
  await s.reader.start();
  t.is(s.nfcs.length, 2);
});

test('stop() during a pcscd wait cancels the retry', async (t) => {
  const s = setup();
  s.state.pcscd = false;
  await s.reader.start();
  await s.reader.stop();
  t.is(s.timers.pending, 0);
  s.state.pcscd = true;
  s.timers.advance(60_000);
  await flush();
  t.is(s.nfcs.length, 0);
});

test('a throwing listener or an error nobody listens to does not crash the driver', async (t) => {
  const timers = new ManualTimers();
  const nfc = new FakeNfc();
  const reader = new Acr122uReader({
    timers,
    log: createLogger({ level: 'silent' }),
    createNfc: () => nfc,
    pcscdAvailable: async () => true,
  });
  reader.on('card', () => {
    throw new Error('listener bug');
  });
  await reader.start();
  const r = new FakeReader();
  nfc.plug(r);
  await flush();
  await r.insert('04a1b2c3');
  await flush();
  r.remove();
  r.insertFailingConnect();
  t.notThrows(() => r.remove()); // 'error' with no listener
  await reader.stop();
});

// --- a reader that heals ---

const HUNG = () => new Promise<Buffer>(() => undefined);
/** A tap whose UID read the reader never answers, timed out. */
async function hungTap(s: ReturnType<typeof setup>, r: FakeReader) {
  r.uidAnswer = HUNG();
  await r.insert(null);
  s.timers.advance(2000);
  await flush();
  r.remove();
}

test('timeouts in a row: not answering, context rebuilt, then pcscd restarted and a re-plug asked for; an answer is ready again', async (t) => {
  const s = setup();
  s.state.restartFails = true;
  const r = await s.startWithReader();
  t.is(s.reader.status, 'ready');
  await hungTap(s, r);
  t.is(s.reader.status, 'not_answering', 'one timeout: the status bar no longer says ready');
  t.is(s.nfcs.length, 1);
  await hungTap(s, r);
  await hungTap(s, r);
  t.is(s.nfcs.length, 2, 'the third timeout in a row rebuilds the PC/SC context');
  // Closing a context with a call hanging in it would block the event loop (libpcsclite's lock).
  t.false(s.nfcs[0].closed, 'the old context is closed only once its hung calls return');
  t.is(s.reader.status, 'not_answering');

  // The reader is back in the new context but still hangs, its beeper setup included.
  const again = new FakeReader();
  again.controlAnswer = HUNG;
  s.nfc().plug(again);
  await flush();
  s.timers.advance(2000);
  await flush();
  t.is(s.reader.status, 'not_answering', 'in PC/SC again is not ready while it does not answer');
  await hungTap(s, again);
  await hungTap(s, again);
  t.is(s.state.restarts, 1, 'rebuilding did not help: pcscd is restarted');
  t.is(s.reader.status, 'replug');
  await flush();
  t.true(s.logs().includes('could not restart pcscd'), 'a failing restart is logged, nothing thrown');
  t.is(s.nfcs.length, 3, 'and a fresh context looks for the reader once more');

  // The cashier re-plugged it: it answers, and all is well without a restart of anything.
  const fresh = new FakeReader();
  s.nfc().plug(fresh);
  await flush();
  t.is(s.reader.status, 'ready');
  await fresh.insert('04a1b2c3');
  await flush();
  t.deepEqual(s.statuses, ['ready', 'not_answering', 'replug', 'ready']);
  t.is(s.events.filter((e) => e.startsWith('card')).at(-1), 'card 04A1B2C3');
  t.is(
    s.events.filter((e) => e.includes('no answer from the reader')).length,
    5,
    "each timeout of a read is still a failed read (the beeper setup's is not a tap)",
  );
});

test('an answer between timeouts starts the count again; a refused read is an answer', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await hungTap(s, r);
  await hungTap(s, r);
  r.uidAnswer = Buffer.from('6300', 'hex');
  await r.insert(null);
  await flush();
  r.remove();
  t.is(s.reader.status, 'ready');
  await hungTap(s, r);
  await hungTap(s, r);
  t.is(s.nfcs.length, 1);
  t.is(s.state.restarts, 0);
});

test('on USB but missing from PC/SC for 30 s: context rebuilt; 30 s more: pcscd restarted, re-plug asked; a re-plug heals', async (t) => {
  const s = setup({ usbPollMs: 5000, missingMs: 30_000 });
  s.state.usb = true;
  await s.reader.start();
  t.is(s.reader.status, 'not_answering', 'plugged in but not in PC/SC is not "unplugged"');
  s.timers.advance(29_999);
  await flush();
  t.is(s.nfcs.length, 1);
  s.timers.advance(1);
  await flush();
  t.is(s.nfcs.length, 2, 'the context is rebuilt');
  t.is(s.state.restarts, 0);
  s.timers.advance(30_000);
  await flush();
  t.is(s.state.restarts, 1, 'still missing: pcscd is restarted');
  t.is(s.reader.status, 'replug');
  // Pulled out: unplugged. Plugged back and found: ready.
  s.state.usb = false;
  s.timers.advance(5000);
  await flush();
  t.is(s.reader.status, 'unplugged');
  s.state.usb = true;
  s.timers.advance(5000);
  await flush();
  s.nfc().plug(new FakeReader());
  await flush();
  t.is(s.reader.status, 'ready');
  t.deepEqual(s.statuses, ['not_answering', 'replug', 'unplugged', 'not_answering', 'ready']);
});

test('a reader neither in PC/SC nor on USB is unplugged, and nothing is restarted for it', async (t) => {
  const s = setup();
  s.state.usb = false;
  await s.reader.start();
  s.timers.advance(300_000);
  await flush();
  t.is(s.reader.status, 'unplugged');
  t.is(s.nfcs.length, 1);
  t.is(s.state.restarts, 0);
  // Without a sysfs view (null), PC/SC alone is believed, as before.
  const u = setup();
  await u.reader.start();
  u.timers.advance(300_000);
  await flush();
  t.is(u.reader.status, 'unplugged');
  t.is(u.state.restarts, 0);
});

test('an error from a reader the config skips (a YubiKey) is logged, never thrown', async (t) => {
  const s = setup({ readerName: 'acr122' });
  await s.reader.start();
  const other = new FakeReader('Yubico YubiKey OTP+FIDO+CCID 00 00');
  s.nfc().plug(other);
  await flush();
  t.notThrows(() => other.emit('error', new Error('SCardConnect error')));
  t.deepEqual(s.events, []);
});

test('signal() drives the ACR122U LED and beeper: escape command without a card, transmit with one; a refusal rejects', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  await s.reader.signal({ led: 'green', buzzer: 'approve' });
  t.deepEqual(r.calls, ['connect CONNECT_MODE_DIRECT', 'control ff00400e0401010201', 'disconnect']);
  r.calls.length = 0;
  await r.insert('04a1b2c3');
  await flush();
  await s.reader.signal({ led: 'red', buzzer: null });
  t.deepEqual(r.calls.slice(2), ['transmit ff00400d0400000000']);
  r.remove();
  s.timers.advance(300);
  r.controlAnswer = async () => Buffer.from('6300', 'hex');
  await t.throwsAsync(s.reader.signal({ led: 'off', buzzer: null }), { message: 'reader answered 6300' });
  t.is(s.reader.status, 'ready', 'a refused LED command changes nothing');
  await r.insert('04d4e5f6');
  await flush();
  t.deepEqual(s.events, ['card 04A1B2C3', 'removed', 'card 04D4E5F6']);
});

// --- genuine cards: the SUN read of an NTAG 424 DNA (hal/ntag424's emulator answers the APDUs) ---

const SUN_UID = '04C1C2C3C4C5C6';
const SELECT_APP = '00a4040c07d276000085010100';
const SELECT_NDEF = '00a4000c02e10400';

const sunChip = () => issuedChip(SUN_UID);

/** The chip enters the field: the reader builds its ISO 14443-4 ATR, GET DATA answers its UID. */
async function tapChip(
  r: FakeReader,
  chip: Ntag424Card,
  wrap = (respond: (a: Buffer) => Buffer | Promise<Buffer>) => respond,
) {
  chip.powerOn();
  r.respond = wrap((a) => chip.transmit(a));
  await r.insert(chip.uid.toString('hex'), NTAG424_ATR);
  await flush();
}

function taps(reader: Acr122uReader) {
  const got: import('../../hal/types.ts').CardTap[] = [];
  reader.on('card', (tap) => got.push(tap));
  return got;
}

test('an NTAG 424 DNA tap: UID, then SELECT app, SELECT E104, READ BINARY length and record; one card event with its SUN', async (t) => {
  const s = setup({ removeDebounceMs: 0 });
  const r = await s.startWithReader();
  const got = taps(s.reader);
  const chip = await sunChip();
  await tapChip(r, chip);
  const reads = r.calls.filter((c) => c.startsWith('transmit 00b0'));
  t.deepEqual(r.calls.slice(0, 5), [
    'connect CONNECT_MODE_CARD',
    'transmit ffca000000',
    `transmit ${SELECT_APP}`,
    `transmit ${SELECT_NDEF}`,
    'transmit 00b0000002',
  ]);
  t.is(reads.length, 2, 'NDEF length, then the record in one read');
  t.deepEqual(s.events, [`card ${SUN_UID}`]);
  const first = got[0]!;
  t.like(first, { uid: SUN_UID, sun: { uid: SUN_UID, ctr: chip.sdmCounter } });
  t.true(genuineSun(SUN_UID, first.sun!), "the cmac is the chip's");
  r.remove();
  await tapChip(r, chip);
  t.is(got[1]!.sun!.ctr, first.sun!.ctr + 1, 'each tap reads a fresh counter');
  t.notDeepEqual(got[1]!.sun!.cmac, first.sun!.cmac);
  t.false(s.logs().includes(SUN_UID), 'logs carry only the masked UID');
  t.true(s.logs().includes('"sun":true'));
});

test('a card with no SUN is a UID card with sun null, no error: no NDEF application (6A82), no read access (6982), a blank NTAG 424 DNA, a URI without the query', async (t) => {
  const s = setup({ removeDebounceMs: 0 });
  const r = await s.startWithReader();
  const got = taps(s.reader);
  const sw = (hex: string) => Buffer.from(hex, 'hex');
  /** A card whose application and NDEF file select, with this file behind READ BINARY. */
  const ndefFile = (file: Buffer) => (a: Buffer) =>
    a[1] === 0xa4 ? OK : Buffer.concat([file.subarray(a.readUInt16BE(2), a.readUInt16BE(2) + (a[4] || 256)), OK]);
  const plainUri = Buffer.concat([Buffer.from([0xd1, 0x01, 12, 0x55, 0x04]), Buffer.from('kort.example', 'ascii')]);
  const cards: [string, (a: Buffer) => Buffer][] = [
    ['04111111111111', () => sw('6a82')],
    ['04222222222222', (a) => (a[1] === 0xa4 ? OK : sw('6982'))],
    ['04444444444444', ndefFile(Buffer.concat([Buffer.from([0, plainUri.length]), plainUri]))],
  ];
  for (const [uid, respond] of cards) {
    r.respond = respond;
    await r.insert(uid, NTAG424_ATR);
    await flush();
    r.remove();
  }
  await tapChip(r, new Ntag424Card({ uid: '04333333333333' }));
  t.deepEqual(
    s.events.filter((e) => e !== 'removed'),
    ['card 04111111111111', 'card 04222222222222', 'card 04444444444444', 'card 04333333333333'],
  );
  t.deepEqual(
    got.map((x) => x.sun),
    [null, null, null, null],
  );
  t.true(r.calls.includes(`transmit ${SELECT_APP}`));
});

test('a storage card (MIFARE, NTAG 21x ATR) is read for its UID alone: no SELECT', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  r.respond = () => {
    throw new Error('a storage card was sent an ISO 7816-4 APDU');
  };
  await r.insert('04a1b2c3d4e5f6');
  await flush();
  t.deepEqual(r.calls, ['connect CONNECT_MODE_CARD', 'transmit ffca000000']);
  t.deepEqual(s.events, ['card 04A1B2C3D4E5F6']);
});

test('short reads: a card answering READ BINARY with fewer bytes than asked is asked again for the rest', async (t) => {
  const s = setup();
  const r = await s.startWithReader();
  const got = taps(s.reader);
  const chip = await sunChip();
  // Each READ BINARY answers at most 16 bytes of what was asked, as a reader with a small buffer might.
  await tapChip(r, chip, (respond) => async (a) => {
    const res = await respond(a);
    return a[1] === 0xb0 && res.length > 18 ? Buffer.concat([res.subarray(0, 16), res.subarray(-2)]) : res;
  });
  t.true(r.calls.filter((c) => c.startsWith('transmit 00b0')).length > 3);
  t.true(genuineSun(SUN_UID, got[0]!.sun!), "the SUN assembled from the pieces is the chip's");
  t.deepEqual(s.events, [`card ${SUN_UID}`]);
});

test('an NTAG 424 DNA pulled away in the middle of the SUN read is a read error, never a card; the next tap reads', async (t) => {
  const s = setup({ removeDebounceMs: 0 });
  const r = await s.startWithReader();
  const got = taps(s.reader);
  const chip = await sunChip();
  let readBinaries = 0;
  await tapChip(r, chip, (respond) => (a) => {
    if (a[1] === 0xb0 && ++readBinaries === 2) {
      r.remove();
      return Promise.reject(new Error('An error occurred while transmitting.'));
    }
    return respond(a);
  });
  s.timers.advance(1000);
  t.deepEqual(s.events, ['error An error occurred while transmitting.']);
  await tapChip(r, chip);
  t.deepEqual(s.events.slice(1), [`card ${SUN_UID}`]);
  t.is(got.length, 1);
  t.truthy(got[0]!.sun);
});

test('a SUN read that breaks is a read error: no answer in time, no status word, an unexpected status', async (t) => {
  const s = setup({ removeDebounceMs: 0, readTimeoutMs: 2000 });
  const r = await s.startWithReader();
  const chip = await sunChip();
  const breakAt =
    (answer: () => Promise<Buffer> | Buffer) => (respond: (a: Buffer) => Buffer | Promise<Buffer>) => (a: Buffer) =>
      a[1] === 0xb0 ? answer() : respond(a);
  await tapChip(
    r,
    chip,
    breakAt(() => new Promise<Buffer>(() => undefined)),
  );
  s.timers.advance(2000);
  await flush();
  t.is(s.reader.status, 'not_answering', 'silence counts against the reader');
  r.remove();
  await tapChip(
    r,
    chip,
    breakAt(() => Buffer.from([0x90])),
  );
  r.remove();
  await tapChip(
    r,
    chip,
    breakAt(() => Buffer.from('6581', 'hex')),
  );
  r.remove();
  t.deepEqual(s.events, [
    'error SUN read: no answer from the reader within 2000 ms (USB timeout?)',
    "error READ BINARY: no status word in the card's answer",
    'error READ BINARY: status 6581',
  ]);
  t.is(s.reader.status, 'ready', 'a garbled answer is still an answer');
});
