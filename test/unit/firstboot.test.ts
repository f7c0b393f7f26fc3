// `klubkort provision --boot-dir` on a PC writes a flashed card's klubkort/, and `klubkort firstboot`
// on the terminal takes it in (issue 30, item 2): files to /etc/klubkort with the daemon's owner and
// modes, Wi-Fi, time servers, ssh key, hostname, and the directory off the FAT partition; a config
// with a mistake is said in the words the till's failed start shows, and the files stay for the fix.
import test from 'ava';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, loadConfigFile } from '../../firmware/config/load.ts';
import { firstBoot, type FirstBootSystem } from '../../firmware/firstboot/firstboot.ts';
import { makePki } from '../helpers/tls-broker.ts';

const provision = (args: string[]) =>
  promisify(execFile)(process.execPath, ['bin/klubkort.js', 'provision', '--yes', '--skip-broker-check', ...args], {
    encoding: 'utf8',
  }).catch((e: { code: number; stdout: string; stderr: string }) => ({ ...e, failed: e.code }));

function terminalRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'klubkort-firstboot-root-'));
  mkdirSync(join(root, 'etc'));
  const uid = process.getuid!(),
    gid = process.getgid!();
  writeFileSync(
    join(root, 'etc/passwd'),
    `root:x:0:0:root:/root:/bin/sh\nklubkort:x:${uid}:${gid}::/var/lib/klubkort:/usr/sbin/nologin\n`,
  );
  return root;
}

function recorder() {
  const calls: string[] = [];
  const system: FirstBootSystem = {
    setHostname: (n) => calls.push(`hostname ${n}`),
    enableSsh: () => calls.push('ssh'),
    enableWifi: () => calls.push('wifi'),
  };
  return { calls, system };
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

test('provision --boot-dir writes klubkort/ on a PC; firstboot takes it in and removes it from the boot partition', async (t) => {
  const pki = makePki([['kasse-7', 'demo-klub']]);
  const fat = mkdtempSync(join(tmpdir(), 'klubkort-fat-'));
  const bootDir = join(fat, 'klubkort');
  const sshPub = join(pki, 'id.pub');
  writeFileSync(sshPub, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKlubkortTestKeyOnlyForThisTestxxxxxxxxxxxxx tech@pc\n');
  const releasePub = join(pki, 'klubkort-release-abc.pub');
  writeFileSync(releasePub, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const r = await provision([
    '--boot-dir',
    bootDir,
    '--terminal-id',
    'kasse-7',
    '--club-id',
    'demo-klub',
    '--hardware',
    'sim',
    '--broker',
    'mqtts://broker.example:8883',
    '--ca',
    join(pki, 'kasse-7/ca.pem'),
    '--cert',
    join(pki, 'kasse-7/kasse-7.crt'),
    '--key',
    join(pki, 'kasse-7/kasse-7.key'),
    '--wifi-ssid',
    'Klubben',
    '--wifi-password',
    'hemmelig-123',
    '--time-server',
    'ntp.example.dk,10.0.0.1',
    '--ssh-key',
    sshPub,
    '--release-key',
    releasePub,
  ]);
  t.is((r as { failed?: number }).failed, undefined, r.stderr);
  t.deepEqual(readdirSync(bootDir).sort(), [
    'ca.pem',
    'config.json',
    'kasse-7.crt',
    'kasse-7.key',
    'release-keys',
    'setup.json',
    'ssh-authorized-keys',
  ]);
  const written = JSON.parse(readFileSync(join(bootDir, 'config.json'), 'utf8'));
  t.like(written, {
    terminalId: 'kasse-7',
    hardware: 'sim',
    broker: {
      caFile: '/etc/klubkort/ca.pem',
      certFile: '/etc/klubkort/kasse-7.crt',
      keyFile: '/etc/klubkort/kasse-7.key',
    },
  });
  t.deepEqual(JSON.parse(readFileSync(join(bootDir, 'setup.json'), 'utf8')), {
    wifi: { ssid: 'Klubben', password: 'hemmelig-123', country: 'DK' },
    timeServers: ['ntp.example.dk', '10.0.0.1'],
  });

  const root = terminalRoot();
  const { calls, system } = recorder();
  const said: string[] = [];
  const result = firstBoot({ bootDir, root, system, say: (l) => said.push(l) });
  t.deepEqual(result, { status: 'done', terminalId: 'kasse-7' }, said.join('\n'));
  const etc = join(root, 'etc/klubkort');
  t.is(mode(join(etc, 'config.json')), '600');
  t.is(mode(join(etc, 'kasse-7.key')), '600');
  t.is(mode(join(etc, 'kasse-7.crt')), '644');
  t.is(statSync(join(etc, 'kasse-7.key')).uid, process.getuid!());
  t.deepEqual(readFileSync(join(etc, 'kasse-7.key')), readFileSync(join(pki, 'kasse-7/kasse-7.key')));
  t.true(existsSync(join(etc, 'release-keys/klubkort-release-abc.pub')));
  t.is(
    loadConfigFile(join(etc, 'config.json'), {
      broker: {
        ...written.broker,
        caFile: join(etc, 'ca.pem'),
        certFile: join(etc, 'kasse-7.crt'),
        keyFile: join(etc, 'kasse-7.key'),
      },
    }).terminalId,
    'kasse-7',
  );
  t.regex(
    readFileSync(join(root, 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf'), 'utf8'),
    /country=DK[\s\S]*ssid="Klubben"[\s\S]*psk="hemmelig-123"/,
  );
  t.is(mode(join(root, 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf')), '600');
  t.is(
    readFileSync(join(root, 'etc/systemd/timesyncd.conf.d/klubkort.conf'), 'utf8'),
    '[Time]\nNTP=ntp.example.dk 10.0.0.1\n',
  );
  t.regex(readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8'), /^ssh-ed25519 /);
  t.is(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'kasse-7\n');
  t.deepEqual(calls.sort(), ['hostname kasse-7', 'ssh', 'wifi']);
  // Off the FAT partition: no key, no password left where any PC reads the card.
  t.false(existsSync(bootDir));
  t.deepEqual(readdirSync(fat), ['klubkort-provisioned.txt']);
  t.notRegex(readFileSync(join(fat, 'klubkort-provisioned.txt'), 'utf8'), /hemmelig|PRIVATE/);
});

test("a config with a mistake: said in the failed start's words, on the console and in ERROR.txt; the files stay for the fix", (t) => {
  const fat = mkdtempSync(join(tmpdir(), 'klubkort-fat-'));
  const bootDir = join(fat, 'klubkort');
  mkdirSync(bootDir);
  writeFileSync(
    join(bootDir, 'config.json'),
    JSON.stringify({
      terminalId: 'kasse-8',
      clubId: 'demo-klub',
      broker: { url: 'mqtt://10.0.2.2:99999' },
      dataDir: '/var/lib/klubkort',
      hardware: 'sim',
    }),
  );
  const root = terminalRoot();
  const { calls, system } = recorder();
  const said: string[] = [];
  const result = firstBoot({ bootDir, root, system, say: (l) => said.push(l) });
  t.is(result.status, 'failed');
  // The till reads the same file and fails with exactly this message (main.ts prints `klubkort: …`).
  const daemon = t.throws(() => loadConfigFile(join(root, 'etc/klubkort/config.json')), { instanceOf: ConfigError });
  t.is((result as { message: string }).message, daemon.message);
  t.regex(daemon.message, /broker\.url: must be mqtt:\/\/host:port/);
  t.is(said[0], `klubkort: ${daemon.message}`);
  t.regex(said.join('\n'), /Kontakt teknikeren/);
  t.notRegex(said.join('\n'), /\bat \w+ \(|\.ts:\d+/, 'no stack trace');
  t.regex(readFileSync(join(bootDir, 'ERROR.txt'), 'utf8'), /broker\.url: must be/);
  t.true(existsSync(join(bootDir, 'config.json')));
  t.false(existsSync(join(root, 'etc/hostname')));
  t.deepEqual(calls, []);
});

test('firstboot with no klubkort/ changes nothing', (t) => {
  const root = terminalRoot();
  const { calls, system } = recorder();
  t.deepEqual(firstBoot({ bootDir: join(root, 'absent'), root, system, say: () => undefined }), { status: 'absent' });
  t.deepEqual(readdirSync(join(root, 'etc')), ['passwd']);
  t.deepEqual(calls, []);
});
