// Broken config files: `klubkort run --config FILE` says what is wrong in one message (no stack
// trace), starts nothing, and exits with 78 (EX_CONFIG) so systemd does not restart it in a loop.
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/daemon-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'klubkort-config-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const dataDir = join(dir, 'data');
const valid = {
  terminalId: 'kasse-1',
  clubId: 'demo-klub',
  broker: { url: 'mqtt://127.0.0.1:1' },
  dataDir,
  hardware: 'sim',
  headless: true,
};

/** [what, file contents (or a path to pass as it is), what the message must say] */
const cases: [string, string | { path: string }, RegExp][] = [
  ['not JSON', '{"terminalId": "kasse-1",', /is not valid JSON/],
  [
    'not JSON near a password',
    '{"broker": {"url": "mqtt://kasse:hemmeligt@broker:1883"}, "dataDir": data}',
    /is not valid JSON: Unexpected token/,
  ],
  ['an empty file', '', /is not valid JSON/],
  ['JSON but no object', '["kasse-1"]', /must hold a JSON object/],
  ['a wrong type', JSON.stringify({ ...valid, terminalId: 5 }), /terminalId: .*expected string/],
  ['an unknown key', JSON.stringify({ ...valid, colour: 'blue' }), /Unrecognized key: "colour"/],
  ['an unknown nested key', JSON.stringify({ ...valid, sale: { maxPurchse: 100 } }), /sale: .*"maxPurchse"/],
  [
    'no hardware named (a terminal must never run simulated devices by default)',
    JSON.stringify({ ...valid, hardware: undefined }),
    /hardware: must be named: "pi" on a terminal/,
  ],
  ['missing ids', JSON.stringify({ broker: valid.broker, dataDir }), /terminalId: [^\n]*\n\s+clubId: /],
  ['a malformed id', JSON.stringify({ ...valid, terminalId: 'Kasse 1' }), /terminalId: /],
  [
    'a URL of another scheme',
    JSON.stringify({ ...valid, broker: { url: 'http://broker.example' } }),
    /broker\.url: must be mqtt:\/\/host:port/,
  ],
  [
    'a URL with a port out of range',
    JSON.stringify({ ...valid, broker: { url: 'mqtt://broker.example:99999' } }),
    /broker\.url: /,
  ],
  ['a URL without a host', JSON.stringify({ ...valid, broker: { url: 'mqtt:///klubkort' } }), /broker\.url: /],
  ['money as a float', JSON.stringify({ ...valid, sale: { maxPurchase: 12.5 } }), /sale\.maxPurchase: .*int/],
  ['money as a string', JSON.stringify({ ...valid, offline: { perCardLimit: '100' } }), /offline\.perCardLimit: /],
  [
    'a CA file that is not there',
    JSON.stringify({ ...valid, broker: { url: 'mqtts://broker.example:8883', caFile: join(dir, 'no-ca.pem') } }),
    /broker\.caFile: cannot read .*ENOENT/,
  ],
  ['a config file that is not there', { path: join(dir, 'missing.json') }, /cannot read config file .*ENOENT/],
  ['a directory as config file', { path: dir }, /cannot read config file .*EISDIR/],
];

for (const [what, contents, says] of cases) {
  test(`a config file with ${what}: one clear message, exit code 78`, async (t) => {
    let file: string;
    if (typeof contents === 'string') {
      const sub = mkdtempSync(join(dir, 'case-'));
      file = join(sub, 'config.json');
      writeFileSync(file, contents);
    } else {
      file = contents.path;
    }
    const r = await runCli(['run', '--config', file]);
    t.is(r.code, 78, r.stderr);
    t.is(r.stdout, '');
    t.regex(r.stderr, says);
    t.regex(r.stderr, /^klubkort: /, 'one message, from klubkort');
    t.is(r.stderr.match(/^klubkort: /gm)?.length, 1, 'exactly one message');
    t.notRegex(r.stderr, /^\s+at /m, 'no stack trace');
    t.true(r.stderr.includes(file), 'it names the file');
    t.false(existsSync(dataDir), 'nothing was started');
    t.notRegex(r.stderr, /hemmeligt/, 'no password quoted from the file');
  });
}

/** [what, how to spoil the data directory, what the message must say] */
const dataDirCases: [string, (dir: string) => string, RegExp][] = [
  [
    'a file where the data directory should be',
    (d) => {
      writeFileSync(join(d, 'file'), 'x');
      return join(d, 'file');
    },
    /data directory .* is not usable \((ENOTDIR|EEXIST)\)/,
  ],
  [
    'a data directory under a file',
    (d) => {
      writeFileSync(join(d, 'file'), 'x');
      return join(d, 'file', 'data');
    },
    /data directory .* is not usable \(ENOTDIR\)/,
  ],
  [
    'a journal that is not a database',
    (d) => {
      mkdirSync(join(d, 'data'));
      writeFileSync(join(d, 'data', 'journal.db'), 'sales, but not SQLite '.repeat(200));
      return join(d, 'data');
    },
    /the journal in .* cannot be opened \(SQLITE_NOTADB.*\); it is left as it is/,
  ],
];

for (const [what, spoil, says] of dataDirCases) {
  test(`${what}: one clear message, exit code 73, the journal untouched`, async (t) => {
    const sub = mkdtempSync(join(dir, 'datadir-'));
    const bad = spoil(sub);
    const journal = join(bad, 'journal.db');
    const before = existsSync(journal) ? readFileSync(journal) : null;
    const r = await runCli([
      'run',
      '--sim',
      '--headless',
      '--broker',
      'mqtt://127.0.0.1:1',
      '--terminal-id',
      'kasse-1',
      '--club-id',
      'demo-klub',
      '--data-dir',
      bad,
    ]);
    t.is(r.code, 73, r.stderr);
    t.regex(r.stderr, says);
    t.is(r.stderr.match(/^klubkort: /gm)?.length, 1, 'exactly one message');
    t.notRegex(r.stderr, /^\s+at /m, 'no stack trace');
    if (before) t.deepEqual(readFileSync(journal), before, 'the journal file is as it was');
  });
}

test('a valid config file with a broken flag is refused the same way', async (t) => {
  mkdirSync(join(dir, 'flag'), { recursive: true });
  const file = join(dir, 'flag', 'config.json');
  writeFileSync(file, JSON.stringify(valid));
  const r = await runCli(['run', '--config', file, '--broker', 'mqtt://:1883']);
  t.is(r.code, 78, r.stderr);
  t.regex(r.stderr, /^klubkort: .*\n\s+broker\.url: /);
  t.false(existsSync(dataDir));
});
