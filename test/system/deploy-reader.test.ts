// What install.sh and systemd/ do for the card reader: pcscd restartable by the daemon (and only
// that), libccid's escape commands on for the ACR122U, and the reader out of USB autosuspend.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { SYSTEMD_DIR as SYSTEMD } from '../helpers/unit-file.ts';

type Action = { id: string; lookup(k: string): string | undefined };
function polkitRule() {
  let rule: ((action: Action, subject: { user: string }) => unknown) | null = null;
  const polkit = {
    Result: { YES: 'yes' },
    addRule: (f: typeof rule) => {
      rule = f;
    },
  };
  runInNewContext(readFileSync(join(SYSTEMD, '50-klubkort-pcscd.rules'), 'utf8'), { polkit });
  return (user: string, unit: string, verb: string) =>
    rule!(
      { id: 'org.freedesktop.systemd1.manage-units', lookup: (k) => ({ unit, verb })[k as 'unit' | 'verb'] },
      { user },
    );
}

test('polkit lets the klubkort user restart pcscd.service and do nothing else with units', (t) => {
  const ask = polkitRule();
  t.is(ask('klubkort', 'pcscd.service', 'restart'), 'yes');
  t.is(ask('klubkort', 'pcscd.service', 'stop'), undefined);
  t.is(ask('klubkort', 'klubkort.service', 'restart'), undefined);
  t.is(ask('klubkort', 'ssh.service', 'start'), undefined);
  t.is(ask('pi', 'pcscd.service', 'restart'), undefined);
});

test("install.sh sets ifdDriverOptions 0x0001 in libccid's Info.plist and installs the autosuspend rule", (t) => {
  const root = mkdtempSync(join(tmpdir(), 'klubkort-install-reader-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc'));
  const plist = join(root, 'etc/libccid_Info.plist');
  // The lines around the key as Debian's libccid ships them (the comment lists the values).
  writeFileSync(
    plist,
    '<dict>\n\t<key>ifdDriverOptions</key>\n\t<string>0x0000</string>\n\n\t<!-- Possible values for ifdDriverOptions\n\t0x01: DRIVER_OPTION_CCID_EXCHANGE_AUTHORIZED\n\t-->\n\t<key>ifdVendorID</key>\n\t<string>0x072F</string>\n</dict>\n',
  );
  const out = execFileSync(join(SYSTEMD, 'install.sh'), ['--root', root], { encoding: 'utf8' });
  const after = readFileSync(plist, 'utf8');
  t.regex(after, /<key>ifdDriverOptions<\/key>\n\t<string>0x0001<\/string>/);
  t.regex(after, /<key>ifdVendorID<\/key>\n\t<string>0x072F<\/string>/, 'nothing else changed');
  execFileSync(join(SYSTEMD, 'install.sh'), ['--root', root], { encoding: 'utf8' });
  t.is(readFileSync(plist, 'utf8'), after, 'a second run changes nothing');
  const udev = readFileSync(join(root, 'etc/udev/rules.d/92-klubkort-acr122u.rules'), 'utf8');
  t.regex(udev, /SUBSYSTEM=="usb", ATTR\{idVendor\}=="072f", ATTR\{idProduct\}=="2200".*ATTR\{power\/control\}="on"/);
  t.regex(out, /skipped \(--root\): udevadm trigger --subsystem-match=usb --attr-match=idVendor=072f/);
});
