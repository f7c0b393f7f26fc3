// `klubkort provision`: sets up (or edits) a terminal's config file. Asks on the tty for every
// value not given as a flag, with the existing config's value as the default, validates each on
// the spot, proves the broker settings by connecting, writes the file atomically (0600), runs the
// selftest and prints a summary (never the password).
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { X509Certificate } from 'node:crypto';
import { ConfigError, parseConfig } from '../config/load.ts';
import type { TerminalConfig } from '../config/schema.ts';
import { Asker, InputError } from './provision/ask.ts';
import { checkBroker, checkUrlOf, defaultCheckUrl } from './provision/broker-check.ts';
import { BOOT_FILES } from './provision/boot-files.ts';
import { localPaths, placeBrokerFiles, writeBootExtras, writeBootFile } from './provision/boot-dir.ts';
import {
  ConfigFileError,
  lookupUser,
  placeNextToConfig,
  readRawConfig,
  writeConfig,
  type RawConfig,
} from './provision/config-file.ts';
import {
  formatPins,
  isTlsUrl,
  parseBrokerUrl,
  parseClubId,
  parseDataDir,
  parseHardware,
  parseLang,
  parsePins,
  parseTerminalId,
  parseText,
  pinsOf,
  type Parsed,
  type Pins,
} from './provision/fields.ts';
import { checkCaFile, checkCertFile, checkKeyFile, commonName, describeCert } from './provision/pem.ts';
import { Aborted, silentPrompter, ttyPrompter, type Prompter } from './provision/prompt.ts';
import { DEFAULT_CONFIG, selftestForConfig } from './selftest-cmd.ts';
import { errorCode } from '../error-code.ts';
import { systemTimers } from '../../lib/timers.ts';

/** The user the daemon runs as (klubkort.service): it must be able to read what we write. */
const DAEMON_USER = 'klubkort';
const BROKER_FLAGS = ['broker', 'ca', 'cert', 'key', 'check-url', 'username', 'password'];

const OPTIONS = {
  config: { type: 'string' },
  'terminal-id': { type: 'string' },
  'club-id': { type: 'string' },
  broker: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'check-url': { type: 'string' },
  lang: { type: 'string' },
  pins: { type: 'string' },
  'data-dir': { type: 'string' },
  hardware: { type: 'string' },
  'boot-dir': { type: 'string' },
  'wifi-ssid': { type: 'string' },
  'wifi-password': { type: 'string' },
  'wifi-country': { type: 'string' },
  'time-server': { type: 'string' },
  'ssh-key': { type: 'string' },
  'release-key': { type: 'string', multiple: true },
  yes: { type: 'boolean' },
  'skip-selftest': { type: 'boolean' },
  'skip-broker-check': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = `usage: klubkort provision [--config FILE] [--terminal-id ID] [--club-id ID] [--broker URL]
         [--ca FILE] [--cert FILE] [--key FILE] [--check-url URL] [--username U] [--password-file FILE] [--lang da|en]
         [--hardware pi|sim] [--pins green=17,red=27,yellow=22,buzzer=23] [--data-dir DIR]
         [--yes] [--skip-selftest] [--skip-broker-check]
       klubkort provision --boot-dir DIR [the same flags] [--wifi-ssid S --wifi-password P --wifi-country DK]
         [--time-server HOST,…] [--ssh-key FILE.pub] [--release-key FILE.pub …]
Asks for every value not given (Enter keeps the value in brackets); --yes asks nothing.
The password is asked for hidden, or read from the first line of --password-file (--password P
works too, but every user on the machine sees it in ps).
The config file defaults to ${DEFAULT_CONFIG}.
--boot-dir DIR writes the first-boot directory of a flashed card instead (DIR is klubkort/ on its
boot partition, from any PC): the config, the broker's files, Wi-Fi, time servers, an ssh key and
the release keys; the terminal takes them in at its next start. No selftest then.
After writing it, the selftest runs on the configured devices (klubkort selftest: watch the LEDs,
listen to the buzzer, tap a card within 15 s):
  --skip-selftest      leave it out (no hardware at hand, or a scripted set-up); run it later
                       with klubkort selftest --config FILE
  --skip-broker-check  write the broker settings without connecting to the broker first
Exit 0: written (selftest passed or skipped); 1: written, but the selftest failed; 64 usage;
65 a bad or missing value; 69 no connection to the broker; 73 the file cannot be written;
78 the config would not be valid; 130 aborted (nothing written).`;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

export async function provisionCommand(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (e) {
    process.stderr.write(`klubkort provision: ${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (flags['password-file'] !== undefined) {
    if (flags.password !== undefined) {
      process.stderr.write('klubkort provision: give --password or --password-file, not both\n');
      return 64;
    }
    try {
      flags = { ...flags, password: readFileSync(flags['password-file'], 'utf8').split(/\r?\n/)[0] };
    } catch (e) {
      process.stderr.write(
        `klubkort provision: --password-file: cannot read ${flags['password-file']} (${errorCode(e)})\n`,
      );
      return 65;
    }
  }
  const out = (line: string) => process.stdout.write(line + '\n');
  const p = !flags.yes && process.stdin.isTTY ? ttyPrompter() : silentPrompter(out);
  try {
    const bootDir = flags['boot-dir'] === undefined ? undefined : resolve(flags['boot-dir']);
    return await provision(
      p,
      flags,
      bootDir ? join(bootDir, BOOT_FILES.config) : resolve(flags.config ?? DEFAULT_CONFIG),
      bootDir,
    );
  } catch (e) {
    if (e instanceof Aborted) {
      process.stderr.write('klubkort provision: aborted, nothing written\n');
      return 130;
    }
    if (e instanceof InputError) {
      process.stderr.write(`klubkort provision: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigFileError) {
      process.stderr.write(`klubkort provision: ${e.message}\n`);
      return 73;
    }
    throw e;
  } finally {
    p.close();
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

async function provision(p: Prompter, flags: Flags, configPath: string, bootDir?: string): Promise<number> {
  const old = bootDir
    ? (() => {
        const r = readRawConfig(configPath);
        return r && localPaths(bootDir, r);
      })()
    : readRawConfig(configPath);
  const cur = old ?? {};
  if (p.interactive)
    p.say(old ? `Editing ${configPath}: Enter keeps the value in brackets.` : `Creating ${configPath}.`);
  const a = new Asker(p, flags, configPath);
  const need = <T>(v: T | undefined): T => v as T; // questions without `optional` always give a value

  const terminalId = need(
    await a.get({ flag: 'terminal-id', label: 'Terminal id', current: str(cur.terminalId), parse: parseTerminalId }),
  );
  const clubId = need(await a.get({ flag: 'club-id', label: 'Club id', current: str(cur.clubId), parse: parseClubId }));
  const lang = need(
    await a.get({ flag: 'lang', label: 'Screen language (da/en)', current: str(cur.lang) ?? 'da', parse: parseLang }),
  );
  const hardware = need(
    await a.get({
      flag: 'hardware',
      label: 'Hardware (pi/sim)',
      current: str(cur.hardware) ?? 'pi',
      parse: parseHardware,
    }),
  );
  let pi = cur.pi;
  if (hardware === 'pi' || flags.pins !== undefined) {
    const base = pinsOf(cur.pi);
    const pins = need(
      await a.get({
        flag: 'pins',
        label: 'GPIO pins (BCM numbers)',
        current: formatPins(base),
        parse: (s) => parsePins(s, base),
      }),
    );
    pi = withPins(cur.pi, pins);
  }
  const dataDir = need(
    await a.get({
      flag: 'data-dir',
      label: 'Data directory',
      current: str(cur.dataDir) ?? '/var/lib/klubkort',
      parse: parseDataDir,
    }),
  );

  let answers = await askBroker(p, a, obj(cur.broker), terminalId, flags);
  let brokerNote = 'not checked (--skip-broker-check)';
  while (!flags['skip-broker-check']) {
    if (p.interactive) p.say(`Connecting to ${checkUrlOf(answers.broker)} …`);
    const r = await checkBroker(
      {
        terminalId,
        clubId,
        broker: { ...answers.broker, rejectUnauthorized: answers.broker.rejectUnauthorized !== false },
      },
      systemTimers,
    );
    if (r.problem === null) {
      if (r.warning) p.say(`  warning: ${r.warning}`);
      brokerNote = r.warning ? 'connected, but no catalog for the club yet' : 'connected, club catalog received';
      break;
    }
    if (!p.interactive) throw new InputError(`cannot connect to the broker: ${r.problem}`, 69);
    p.say(`  cannot connect: ${r.problem}`);
    const choice = await choose(p, 'Change the broker settings (c), try again (r), or keep them unchecked (k)?', [
      'c',
      'r',
      'k',
    ]);
    if (choice === 'k') {
      brokerNote = `NOT connected: ${r.problem}`;
      break;
    }
    if (choice === 'c') {
      a.forget(...BROKER_FLAGS);
      answers = await askBroker(p, a, answers.broker, terminalId, flags);
    }
  }

  if (bootDir)
    return writeBootDir(
      p,
      a,
      bootDir,
      configPath,
      { ...cur, terminalId, clubId, dataDir, hardware, lang, ...(pi === undefined ? {} : { pi }) },
      answers,
      brokerNote,
      flags['release-key'] ?? [],
    );
  const owner = process.getuid?.() === 0 ? lookupUser(DAEMON_USER) : null;
  const broker = { ...answers.broker };
  if (broker.caFile) broker.caFile = placeNextToConfig(broker.caFile, configPath, 'ca.pem', 0o644, owner);
  if (broker.certFile)
    broker.certFile = placeNextToConfig(broker.certFile, configPath, `${terminalId}.crt`, 0o644, owner);
  if (broker.keyFile) broker.keyFile = placeNextToConfig(broker.keyFile, configPath, `${terminalId}.key`, 0o600, owner);

  // The file keeps everything else it held (limits, log level…) and leaves defaults unwritten.
  const next: RawConfig = {
    ...cur,
    terminalId,
    clubId,
    broker: compact(broker),
    dataDir,
    hardware,
    lang,
    ...(pi === undefined ? {} : { pi }),
  };
  let cfg: TerminalConfig;
  try {
    cfg = parseConfig(next, configPath);
  } catch (e) {
    if (e instanceof ConfigError) throw new InputError(e.message, 78);
    throw e;
  }
  writeConfig(configPath, next, owner);
  p.say(`Wrote ${configPath} (mode 0600${owner ? `, owner ${DAEMON_USER}` : ''}).`);

  let selftest = 'skipped (--skip-selftest)';
  if (!flags['skip-selftest']) {
    p.say('\nSelftest (--skip-selftest leaves it out): watch the LEDs, listen to the buzzer, tap a card when asked.');
    selftest = (await selftestForConfig(cfg, (l) => p.say(l)))
      ? 'passed'
      : `FAILED; the config is written: fix what failed and run klubkort selftest --config ${configPath}`;
  }
  summary(p, configPath, cfg, answers, brokerNote, selftest);
  return selftest.startsWith('FAILED') ? 1 : 0;
}

/** provision --boot-dir: the config (its files where the terminal keeps them) and the extras in DIR. */
async function writeBootDir(
  p: Prompter,
  a: Asker,
  bootDir: string,
  configPath: string,
  base: RawConfig,
  answers: BrokerAnswers,
  brokerNote: string,
  releaseKeys: readonly string[],
): Promise<number> {
  const broker = placeBrokerFiles(bootDir, base.terminalId as string, answers.broker);
  const next: RawConfig = { ...base, broker: compact(broker) };
  let cfg: TerminalConfig;
  try {
    cfg = parseConfig(localPaths(bootDir, next), configPath);
  } catch (e) {
    if (e instanceof ConfigError) throw new InputError(e.message, 78);
    throw e;
  }
  writeBootFile(configPath, JSON.stringify(next, null, 2) + '\n');
  rmSync(join(bootDir, BOOT_FILES.error), { force: true });
  p.say(`Wrote ${configPath}.`);
  await writeBootExtras(a, bootDir, releaseKeys, (l) => p.say(l));
  summary(p, configPath, cfg, answers, brokerNote, "at the terminal's first start");
  p.say(
    `Next: put ${bootDir} on the card's boot partition as klubkort/ (if it is not there already) and power the terminal on.`,
  );
  return 0;
}

interface BrokerAnswers {
  broker: {
    url: string;
    checkUrl?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    username?: string;
    password?: string;
    rejectUnauthorized?: boolean;
  };
  cert: X509Certificate | null;
}

interface PemChoice<T> {
  path: string;
  value: T;
}
function pem<T>(check: (path: string) => Parsed<T>) {
  return (input: string): Parsed<PemChoice<T>> => {
    const path = resolve(input);
    const r = check(path);
    return r.ok ? { ok: true, value: { path, value: r.value } } : r;
  };
}

async function askBroker(
  p: Prompter,
  a: Asker,
  cur: Record<string, unknown>,
  terminalId: string,
  flags: Flags,
): Promise<BrokerAnswers> {
  const url = await a.get({
    flag: 'broker',
    label: 'Broker URL (mqtts://host:8883)',
    current: str(cur.url),
    parse: parseBrokerUrl,
  });
  if (!url) throw new Error('a broker URL is required');
  let ca: PemChoice<X509Certificate> | undefined;
  let cert: PemChoice<X509Certificate> | undefined;
  let key: PemChoice<unknown> | undefined;
  let checkUrl: string | undefined;
  if (isTlsUrl(url)) {
    ca = await a.get({
      flag: 'ca',
      label: "The broker's CA certificate (PEM file; none: the system's CAs)",
      optional: true,
      current: str(cur.caFile),
      parse: pem(checkCaFile),
    });
    if (ca) p.say(`  CA: ${describeCert(ca.value)}`);
    cert = await a.get({
      flag: 'cert',
      label: "This terminal's certificate (PEM file)",
      optional: true,
      current: str(cur.certFile),
      parse: pem(checkCertFile),
    });
    if (cert) {
      const c = cert.value;
      p.say(`  certificate: ${describeCert(c)}`);
      if (commonName(c) !== terminalId)
        p.say(
          `  note: it is made out for ${commonName(c)}, not ${terminalId}; a klubkort broker takes the CN as the terminal id and its client id`,
        );
      key = await a.get({
        flag: 'key',
        label: "This terminal's private key (PEM file)",
        current: str(cur.keyFile),
        parse: pem((path) => checkKeyFile(path, c)),
      });
      // A klubkort broker's terminal port would give the check the terminal's own session.
      checkUrl = await a.get({
        flag: 'check-url',
        label: "The broker's check port, where this certificate is tested (docs/deploy.md)",
        current: (cur.url === url ? str(cur.checkUrl) : undefined) ?? defaultCheckUrl(url),
        parse: parseBrokerUrl,
      });
    }
  } else {
    const ignored = (['ca', 'cert', 'key'] as const).filter((f) => flags[f] !== undefined);
    if (ignored.length)
      p.say(`  ${ignored.map((f) => `--${f}`).join(', ')} ignored: ${url} does not use TLS (mqtts:// or wss://)`);
  }
  const username = await a.get({
    flag: 'username',
    label: 'MQTT username',
    optional: true,
    current: str(cur.username),
    parse: parseText,
  });
  const password =
    username === undefined
      ? undefined
      : await a.get({
          flag: 'password',
          label: 'MQTT password',
          optional: true,
          hidden: true,
          current: str(cur.password),
          parse: parseText,
        });
  const rejectUnauthorized = typeof cur.rejectUnauthorized === 'boolean' ? cur.rejectUnauthorized : undefined;
  return {
    broker: {
      url,
      checkUrl,
      caFile: ca?.path,
      certFile: cert?.path,
      keyFile: key?.path,
      username,
      password,
      rejectUnauthorized,
    },
    cert: cert?.value ?? null,
  };
}

async function choose(p: Prompter, question: string, options: string[]): Promise<string> {
  for (;;) {
    const a = (await p.ask(`${question} [${options[0]}]: `)).toLowerCase() || options[0];
    if (options.includes(a)) return a;
  }
}

function withPins(rawPi: unknown, pins: Pins): Record<string, unknown> {
  const pi = obj(rawPi);
  const gpio = obj(pi.gpio);
  const old = obj(gpio.pins);
  const merged = Object.fromEntries(Object.entries(pins).map(([name, pin]) => [name, { ...obj(old[name]), pin }]));
  return { ...pi, gpio: { ...gpio, pins: merged } };
}

function compact<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function summary(
  p: Prompter,
  path: string,
  cfg: TerminalConfig,
  answers: BrokerAnswers,
  brokerNote: string,
  selftest: string,
): void {
  const b = cfg.broker;
  const pins = cfg.pi.gpio.pins;
  const rows: [string, string][] = [
    ['config', path],
    ['terminal', cfg.terminalId],
    ['club', cfg.clubId],
    ['broker', `${b.url} (${brokerNote})`],
  ];
  if (checkUrlOf(b) !== b.url) rows.push(['checked on', checkUrlOf(b)]);
  if (b.caFile) rows.push(['CA', b.caFile]);
  if (b.certFile) rows.push(['certificate', `${b.certFile}${answers.cert ? ` (${describeCert(answers.cert)})` : ''}`]);
  if (b.keyFile) rows.push(['key', b.keyFile]);
  rows.push([
    'login',
    b.username
      ? `username ${b.username}, ${b.password ? 'password set' : 'no password'}`
      : b.certFile
        ? 'client certificate'
        : 'anonymous',
  ]);
  rows.push([
    'hardware',
    cfg.hardware === 'pi'
      ? `pi (GPIO green=${pins.green.pin}, red=${pins.red.pin}, yellow=${pins.yellow.pin}, buzzer=${pins.buzzer.pin})`
      : cfg.hardware,
  ]);
  rows.push(['language', cfg.lang], ['data dir', cfg.dataDir], ['selftest', selftest]);
  p.say('\nSummary');
  for (const [k, v] of rows) p.say(`  ${k.padEnd(12)}${v}`);
  p.say('Next: sudo systemctl restart klubkort (the daemon reads the config when it starts).');
}
