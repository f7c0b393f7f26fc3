// Genuine cards through the real PC/SC stack: a pcscd of the test's own with vsmartcard's virtual
// reader, nfc-pcsc's native binding, and the simulated NTAG 424 DNA as the virtual card. The
// technician's `klubkort card personalise` issues it, then its SUN reads through the same stack.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardCommand } from '../../firmware/cli/card.ts';
import { holdCard, type HoldRequest } from '../../hal/pi/reader/card-holder.ts';
import { systemTimers } from '../../lib/timers.ts';
import { probePcscd } from '../../hal/pi/reader/pcsc-session.ts';
import { diversifyKey, Ntag424Card, readSun, sunCmacValid } from '../../hal/ntag424/index.ts';
import { DEMO_CARD_URL, DEMO_SUN_KEYS } from '../../sim/demo-club.ts';
import { startVirtualPcsc, type VirtualPcsc } from '../helpers/pcscd.ts';
import { uidCard, VirtualCard } from '../helpers/vpcd-card.ts';

let pcsc: VirtualPcsc;
test.before(async () => {
  pcsc = await startVirtualPcsc();
  process.env.PCSCLITE_CSOCK_NAME = pcsc.socket;
});
test.after.always(async () => {
  await pcsc?.close();
});

const UID = '04C0FFEE00AB77';

test.serial('personalise over pcscd + vpcd, then read a SUN that verifies; a second run is refused', async (t) => {
  const chip = new Ntag424Card({ uid: UID });
  chip.powerOn();
  // The ACR122U-style GET DATA answered like a reader would; everything else goes to the chip.
  const card = new VirtualCard(
    pcsc.port,
    uidCard(UID, (apdu) => chip.transmit(apdu)),
  );
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-card-pcscd-'));
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, DEMO_SUN_KEYS.masterKey.toString('hex'), { mode: 0o600 });
  t.teardown(() => {
    card.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const hold = (o: HoldRequest) =>
    holdCard({ ...o, readerName: 'Virtual PCD 00 00', pcscdAvailable: () => probePcscd(pcsc.socket) });
  await card.insert();
  const out: string[] = [],
    err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), hold };
  const argv = [
    'personalise',
    '--master-key-file',
    keyFile,
    '--url',
    DEMO_CARD_URL,
    '--system-id',
    DEMO_SUN_KEYS.systemId,
    '--wait',
    '10',
  ];
  t.is(await cardCommand(argv, io), 0, err.join('\n'));
  t.regex(out.join('\n'), new RegExp(`Virtual PCD 00 00: UID ${UID}`));
  t.false(
    card.received.some((a) => a.equals(Buffer.from('ffca000000', 'hex'))),
    'nfc-pcsc read no UID of its own',
  );

  const held = await hold({ waitMs: 10_000, timers: systemTimers });
  try {
    const sun = await readSun(held.transmit);
    t.is(sun?.uid, UID);
    t.true(
      sunCmacValid(diversifyKey(DEMO_SUN_KEYS.masterKey, UID, 2, DEMO_SUN_KEYS.systemId), UID, sun!.ctr, sun!.cmac),
    );
  } finally {
    held.release();
  }
  err.length = 0;
  t.is(await cardCommand(argv, io), 1);
  t.regex(err.join('\n'), /already personalised/);
});
