// The reader-health machine (pure) and the sysfs USB view it is fed from.
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  healthTransition,
  initialHealth,
  readerStatus,
  type HealthEvent,
  type HealthState,
} from '../../hal/pi/reader/reader-health.ts';
import { usbDevicePresent } from '../../hal/pi/reader/usb.ts';

const ctx = { timeoutsToHeal: 3, missingMs: 30_000 };
const run = (events: HealthEvent[], s: HealthState = initialHealth()) => {
  const effects: string[] = [];
  const statuses: string[] = [];
  for (const ev of events) {
    const step = healthTransition(s, ev, ctx);
    s = step.state;
    effects.push(...step.effects.map((e) => e.type));
    statuses.push(readerStatus(s));
  }
  return { state: s, effects, statuses };
};
const timeout: HealthEvent = { type: 'timeout' };

test('the ladder: three timeouts rebuild, three more restart pcscd and ask for a re-plug, then rebuilds', (t) => {
  const r = run([
    { type: 'present' },
    timeout,
    timeout,
    timeout,
    { type: 'absent' },
    { type: 'present' },
    timeout,
    timeout,
    timeout,
    timeout,
    timeout,
    timeout,
  ]);
  t.deepEqual(r.effects, ['rebuild', 'restartPcscd', 'rebuild']);
  t.deepEqual(r.statuses, [
    'ready',
    'not_answering',
    'not_answering',
    'not_answering',
    'not_answering',
    'not_answering',
    'not_answering',
    'not_answering',
    'replug',
    'replug',
    'replug',
    'replug',
  ]);
  t.is(readerStatus(run([{ type: 'answered' }], r.state).state), 'ready');
});

test('missing from PC/SC while on USB: watched, healed when the time runs out, watch stops when found', (t) => {
  const r = run([
    { type: 'usb', onUsb: true },
    { type: 'missingElapsed' },
    { type: 'missingElapsed' },
    { type: 'present' },
  ]);
  t.deepEqual(r.effects, ['watch', 'rebuild', 'watch', 'restartPcscd', 'watch', 'cancelWatch']);
  t.deepEqual(r.statuses, ['not_answering', 'not_answering', 'replug', 'replug']);
  // A late elapsed after the reader was found changes nothing.
  t.deepEqual(run([{ type: 'missingElapsed' }], r.state).effects, []);
});

test("off USB is unplugged and starts healing over; an unknown USB view keeps PC/SC's word", (t) => {
  const r = run([{ type: 'present' }, timeout, timeout, timeout, { type: 'absent' }, { type: 'usb', onUsb: false }]);
  t.is(readerStatus(r.state), 'unplugged');
  t.is(r.state.heals, 0);
  t.is(readerStatus(run([{ type: 'absent' }]).state), 'unplugged');
  t.is(readerStatus(run([{ type: 'present' }]).state), 'ready');
});

test('sysfs: the ACR122U by idVendor/idProduct, false without it, null without sysfs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'klubkort-usb-'));
  const dev = (name: string, vendor: string, product: string) => {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'idVendor'), `${vendor}\n`);
    writeFileSync(join(root, name, 'idProduct'), `${product}\n`);
  };
  dev('usb1', '1d6b', '0002');
  mkdirSync(join(root, '1-1:1.0')); // an interface: no ids
  t.false(await usbDevicePresent(root));
  dev('1-1.3', '072f', '2200');
  t.true(await usbDevicePresent(root));
  t.is(await usbDevicePresent(join(root, 'absent')), null);
});
