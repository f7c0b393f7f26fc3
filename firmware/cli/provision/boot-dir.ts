// `klubkort provision --boot-dir DIR`: the same answers written as the first-boot directory of a
// flashed card (firmware/firstboot/boot-dir.ts), on any PC: the config naming its files where the
// terminal will keep them (/etc/klubkort), the files beside it, and what only a flashed card needs
// (Wi-Fi, time servers, an ssh key, the release keys). A FAT file system has no owners or modes:
// files are written whole (temp file, fsync, rename) without chmod, which vfat may refuse.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BOOT_FILES, ETC_DIR, SetupFile, certName, keyName } from './boot-files.ts';
import type { z } from 'zod';
import { errorCode } from '../../error-code.ts';
import type { Asker } from './ask.ts';
import { ConfigFileError, type RawConfig } from './config-file.ts';
import type { Parsed } from './fields.ts';
import { must } from '../../../lib/must.ts';

export function writeBootFile(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ConfigFileError(`cannot write ${path}: ${errorCode(e)}`);
  }
}

const read = (path: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigFileError(`cannot read ${path}: ${errorCode(e)}`);
  }
};

type Broker = { caFile?: string; certFile?: string; keyFile?: string };

/** Copies the broker's files into the boot dir; returns the broker with the paths the terminal will use. */
export function placeBrokerFiles<B extends Broker>(bootDir: string, terminalId: string, broker: B): B {
  const out = { ...broker };
  const names = { caFile: BOOT_FILES.ca, certFile: certName(terminalId), keyFile: keyName(terminalId) } as const;
  for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
    const src = broker[k];
    if (src === undefined) continue;
    if (src !== join(bootDir, names[k])) writeBootFile(join(bootDir, names[k]), read(src));
    out[k] = `${ETC_DIR}/${names[k]}`;
  }
  return out;
}

/** The boot dir's config as validated here: its file paths pointing at the copies in the boot dir. */
export function localPaths(bootDir: string, raw: RawConfig): RawConfig {
  const b = { ...(raw.broker as Record<string, unknown>) };
  for (const k of ['caFile', 'certFile', 'keyFile'])
    if (typeof b[k] === 'string') b[k] = join(bootDir, basename(b[k] as string));
  return { ...raw, broker: b };
}

const parseSetup =
  (pick: (s: SetupFile) => unknown) =>
  (wrap: (v: string) => z.input<typeof SetupFile>) =>
  (input: string): Parsed<string> => {
    const r = SetupFile.safeParse(wrap(input));
    return r.success && pick(r.data) !== undefined
      ? { ok: true, value: input }
      : { ok: false, error: r.success ? 'invalid' : (r.error.issues[0]?.message ?? 'invalid') };
  };
const anyFile = (input: string): Parsed<string> => {
  try {
    readFileSync(input);
    return { ok: true, value: input };
  } catch (e) {
    return { ok: false, error: `cannot read ${input}: ${errorCode(e)}` };
  }
};
const wifiWith = (v: Partial<{ ssid: string; password: string; country: string }>): z.input<typeof SetupFile> => ({
  wifi: { ssid: 'x', password: 'xxxxxxxx', ...v },
});

/** Wi-Fi, time servers, ssh key and release keys: asked (all optional) and written beside the config. */
export async function writeBootExtras(
  a: Asker,
  bootDir: string,
  releaseKeys: readonly string[],
  say: (l: string) => void,
): Promise<string[]> {
  const rows: string[] = [];
  const setup: SetupFile = {};
  const ssid = await a.get({
    flag: 'wifi-ssid',
    label: 'Wi-Fi network name (none: cable)',
    optional: true,
    parse: parseSetup((s) => s.wifi)((v) => wifiWith({ ssid: v })),
  });
  if (ssid !== undefined) {
    const password = must(
      await a.get({
        flag: 'wifi-password',
        label: 'Wi-Fi password',
        hidden: true,
        parse: parseSetup((s) => s.wifi)((v) => wifiWith({ password: v })),
      }),
      'a Wi-Fi password',
    );
    const country = must(
      await a.get({
        flag: 'wifi-country',
        label: 'Wi-Fi country',
        current: 'DK',
        parse: parseSetup((s) => s.wifi)((v) => wifiWith({ country: v })),
      }),
      'a Wi-Fi country',
    );
    setup.wifi = { ssid, password, country };
    rows.push(`wifi ${ssid} (${country})`);
  }
  const ntp = await a.get({
    flag: 'time-server',
    label: "Time servers, comma-separated (none: Debian's pool)",
    optional: true,
    parse: parseSetup((s) => s.timeServers)((v) => ({ timeServers: v.split(',').map((x) => x.trim()) })),
  });
  if (ntp !== undefined) {
    setup.timeServers = ntp.split(',').map((x) => x.trim());
    rows.push(`time ${setup.timeServers.join(', ')}`);
  }
  if (Object.keys(setup).length) writeBootFile(join(bootDir, BOOT_FILES.setup), JSON.stringify(setup, null, 2) + '\n');
  else rmSync(join(bootDir, BOOT_FILES.setup), { force: true });

  const ssh = await a.get({
    flag: 'ssh-key',
    label: 'An ssh public key for root (none: no ssh)',
    optional: true,
    parse: anyFile,
  });
  if (ssh !== undefined) {
    const text = read(ssh).toString('utf8');
    if (!/^(ssh-|ecdsa-|sk-)/m.test(text) || text.includes('PRIVATE KEY'))
      throw new ConfigFileError(`${ssh} is not an ssh public key (a .pub file: ssh-ed25519 …)`);
    writeBootFile(join(bootDir, BOOT_FILES.sshKey), text);
    rows.push('ssh key for root');
  }
  for (const k of releaseKeys) {
    const pem = read(k).toString('utf8');
    if (pem.includes('PRIVATE KEY') || !pem.includes('PUBLIC KEY'))
      throw new ConfigFileError(`${k} is not a release public key (.pub)`);
    writeBootFile(join(bootDir, BOOT_FILES.releaseKeys, basename(k)), pem);
  }
  if (releaseKeys.length) rows.push(`release keys ${releaseKeys.map((k) => basename(k)).join(', ')}`);
  for (const r of rows) say(`  ${r}`);
  return rows;
}
