// `klubkort firstboot`: takes in the first-boot directory (cli/provision/boot-files.ts) once, at boot, before the
// till starts (klubkort-firstboot.service, on the image): the config, the broker's CA, the
// terminal's certificate and key and the release keys go to /etc/klubkort with the daemon's owners
// and modes, an ssh key to root's authorized_keys (ssh enabled only then), Wi-Fi and time servers to
// their services' files, the hostname becomes the terminal id, and the directory leaves the FAT
// partition, which any PC can read. The config is checked where the daemon reads it, by the same
// code (loadConfigFile): what is wrong is said in the very words the till's failed start then shows
// on its screen, also on the console and in ERROR.txt beside the files, which stay for the fix.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, loadConfigFile } from '../config/load.ts';
import type { TerminalConfigInput } from '../config/schema.ts';
import { ConfigFileError, writeFileAtomic, lookupUser, type Owner } from '../cli/provision/config-file.ts';
import { errorCode } from '../error-code.ts';
import { BOOT_FILES, DONE_NOTE, ETC_DIR, SetupFile } from '../cli/provision/boot-files.ts';

/** What changes the running machine (not files): given by the caller, recorded by the tests. */
export interface FirstBootSystem {
  setHostname(name: string): void;
  /** Host keys made on this terminal (never the image's: every terminal its own), ssh enabled. */
  enableSsh(): void;
  enableWifi(): void;
}

export interface FirstBootOptions {
  bootDir: string;
  /** The root file system (tests: a directory). */
  root: string;
  system: FirstBootSystem;
  say(line: string): void;
  /** The wall clock, for the note left on the FAT partition only. */
  now?: () => Date;
}

export type FirstBootResult =
  | { status: 'absent' }
  | { status: 'done'; terminalId: string }
  | { status: 'failed'; message: string };

const DAEMON_USER = 'klubkort';

/** The problems of the first-boot files, each in a technician's words. */
class SetupError extends Error {}

function readSetup(file: string): SetupFile {
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SetupError(`${file} is not valid JSON: ${(e as Error).message.replace(/,?\s*(\.\.\.)?".*$/s, '')}`);
  }
  const r = SetupFile.safeParse(json);
  if (!r.success)
    throw new SetupError(
      `${file} is not valid:\n${r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    );
  return r.data;
}

function wpaConf(w: NonNullable<SetupFile['wifi']>): string {
  const q = (s: string) => JSON.stringify(s); // wpa_supplicant reads C-style quoted strings
  return `ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\nupdate_config=0\ncountry=${w.country}\n\nnetwork={\n  ssid=${q(w.ssid)}\n  psk=${q(w.password)}\n  key_mgmt=WPA-PSK\n}\n`;
}

export function firstBoot(o: FirstBootOptions): FirstBootResult {
  if (!existsSync(o.bootDir)) return { status: 'absent' };
  const etc = join(o.root, ETC_DIR.slice(1));
  const configFile = join(etc, BOOT_FILES.config);
  const owner: Owner | null = lookupUser(DAEMON_USER, join(o.root, 'etc/passwd'));
  const from = (name: string) => join(o.bootDir, name);
  const put = (src: string, dest: string, mode: number, own: Owner | null) =>
    writeFileAtomic(dest, readFileSync(src), mode, own);
  try {
    if (!existsSync(from(BOOT_FILES.config)))
      throw new SetupError(`${from(BOOT_FILES.config)} is missing: write it with klubkort provision --boot-dir`);
    const setup = readSetup(from(BOOT_FILES.setup));
    mkdirSync(etc, { recursive: true, mode: 0o755 });
    // The config goes in first, whatever it holds: the till then shows the same words on its screen.
    put(from(BOOT_FILES.config), configFile, 0o600, owner);
    for (const name of readdirSync(o.bootDir)) {
      if (name.endsWith('.crt') || name === BOOT_FILES.ca) put(from(name), join(etc, name), 0o644, owner);
      else if (name.endsWith('.key')) put(from(name), join(etc, name), 0o600, owner);
    }
    const keysDir = from(BOOT_FILES.releaseKeys);
    if (existsSync(keysDir)) {
      for (const name of readdirSync(keysDir).filter((n) => n.endsWith('.pub'))) {
        const pem = readFileSync(join(keysDir, name), 'utf8');
        if (pem.includes('PRIVATE KEY'))
          throw new SetupError(
            `${join(keysDir, name)} is a private key: only the release's public keys (.pub) belong on a terminal`,
          );
        put(join(keysDir, name), join(etc, 'release-keys', basename(name)), 0o644, null);
      }
    }
    const cfg = loadConfigFile(configFile, brokerFilesUnder(o.root, configFile));
    if (setup.wifi) {
      writeFileAtomic(join(o.root, 'etc/wpa_supplicant/wpa_supplicant-wlan0.conf'), wpaConf(setup.wifi), 0o600, null);
      o.system.enableWifi();
    }
    if (setup.timeServers?.length) {
      writeFileAtomic(
        join(o.root, 'etc/systemd/timesyncd.conf.d/klubkort.conf'),
        `[Time]\nNTP=${setup.timeServers.join(' ')}\n`,
        0o644,
        null,
      );
    }
    if (existsSync(from(BOOT_FILES.sshKey))) {
      const keys = readFileSync(from(BOOT_FILES.sshKey), 'utf8');
      if (!/^(ssh-|ecdsa-|sk-)/m.test(keys))
        throw new SetupError(
          `${from(BOOT_FILES.sshKey)} holds no ssh public key (a line starting ssh-ed25519, ssh-rsa or ecdsa-…)`,
        );
      const sshDir = join(o.root, 'root/.ssh');
      mkdirSync(sshDir, { recursive: true, mode: 0o700 });
      chmodSync(sshDir, 0o700);
      writeFileAtomic(join(sshDir, 'authorized_keys'), keys, 0o600, { uid: 0, gid: 0 });
      o.system.enableSsh();
    }
    writeFileAtomic(join(o.root, 'etc/hostname'), `${cfg.terminalId}\n`, 0o644, null);
    o.system.setHostname(cfg.terminalId);
    // Secrets off the FAT partition: the directory goes, a note without secrets stays.
    rmSync(o.bootDir, { recursive: true, force: true });
    writeFileSync(
      join(o.bootDir, '..', DONE_NOTE),
      `Terminal ${cfg.terminalId} of club ${cfg.clubId} was set up from klubkort/ at ${(o.now ?? (() => new Date()))().toISOString()}.\n` +
        `Its files are in ${ETC_DIR} now. To set it up again, write a new klubkort/ directory here (klubkort provision --boot-dir).\n`,
    );
    o.say(`klubkort: terminal ${cfg.terminalId} set up from ${o.bootDir}; the files were moved to ${ETC_DIR}`);
    return { status: 'done', terminalId: cfg.terminalId };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof SetupError || e instanceof ConfigFileError)
      return failed(o, e.message);
    // A file that cannot be read or written (a damaged card): said, never a stack trace.
    if (typeof (e as NodeJS.ErrnoException).code === 'string')
      return failed(o, `cannot take in ${o.bootDir}: ${errorCode(e)} (${(e as Error).message})`);
    throw e;
  }
}

/**
 * The broker's file paths under `root` when that is not `/` (an image being built, a test), so the
 * check reads the files taken in; on the terminal the config is read exactly as the daemon reads it.
 */
function brokerFilesUnder(root: string, configFile: string): Partial<TerminalConfigInput> {
  if (root === '/') return {};
  let raw: { broker?: Record<string, unknown> };
  try {
    raw = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch {
    return {};
  } // loadConfigFile says what is wrong
  if (typeof raw?.broker !== 'object' || raw.broker === null) return {};
  const broker = { ...raw.broker };
  for (const k of ['caFile', 'certFile', 'keyFile'])
    if (typeof broker[k] === 'string') broker[k] = join(root, broker[k] as string);
  return { broker } as Partial<TerminalConfigInput>;
}

/** Said on the console as the till's failed start says it, and written beside the files for the PC. */
function failed(o: FirstBootOptions, message: string): FirstBootResult {
  o.say(`klubkort: ${message}`);
  o.say('Terminalen kan ikke starte. Kontakt teknikeren. / The terminal cannot start: call the technician.');
  try {
    writeFileSync(
      join(o.bootDir, BOOT_FILES.error),
      `klubkort: ${message}\n\nFix the files in this directory (klubkort provision --boot-dir) and start the terminal again.\n`,
    );
  } catch {
    /* a read-only card: the console said it */
  }
  return { status: 'failed', message };
}
