// `klubkort update --bundle FILE [--root DIR]`: installs a release bundle on this terminal after
// verifying it whole (signature by a trusted release key, architecture, Node, journal schema, the
// SHA-256 of every file), and switches /opt/klubkort/current to it atomically.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JOURNAL_SCHEMA } from '../journal/migrations.ts';
import { journalSchemaOf } from '../journal/schema-of.ts';
import { BundleRefused } from '../release/bundle.ts';
import { installBundle, InstallError } from '../release/install.ts';
import { layoutOf, linkedVersion } from '../release/releases.ts';
import { loadTrustedKeys, RELEASE_KEYS_DIR } from '../release/signing.ts';
import { DEFAULT_DATA_DIR, HELP } from './help.ts';
import { readRawConfig } from './provision/config-file.ts';
import { DEFAULT_CONFIG } from './selftest-cmd.ts';

const say = (line: string) => process.stderr.write(`klubkort update: ${line}\n`);

/** The data dir whose journal the release must read: --data-dir, else the config's, else the default. */
function dataDirOf(root: string, given: string | undefined): string {
  if (given !== undefined) return given;
  try {
    const d = readRawConfig(join(root, DEFAULT_CONFIG))?.dataDir;
    return typeof d === 'string' ? d : DEFAULT_DATA_DIR;
  } catch {
    return DEFAULT_DATA_DIR;
  }
}

export async function updateCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, strict: true, options: {
      bundle: { type: 'string' }, root: { type: 'string' }, keys: { type: 'string' }, 'data-dir': { type: 'string' },
    } }).values;
  } catch (e) {
    process.stderr.write(`klubkort update: ${(e as Error).message}\n${HELP.update}\n`);
    return 64;
  }
  if (!values.bundle) { process.stderr.write(`klubkort update: --bundle FILE is needed\n${HELP.update}\n`); return 64; }
  if (/^[a-z]+:\/\//i.test(values.bundle)) { say('give the bundle as a file (download it first)'); return 64; }
  const root = values.root ?? '/';
  const keysDir = values.keys ?? join(root, RELEASE_KEYS_DIR);
  const { keys, problems } = loadTrustedKeys(keysDir);
  for (const p of problems) say(p);
  if (keys.size === 0) { say(`no trusted release key in ${keysDir}: put the release's public key (*.pub) there`); return 78; }

  const l = layoutOf(root);
  const dataDir = dataDirOf(root, values['data-dir']);
  let journal;
  try {
    journal = await journalSchemaOf(join(root, dataDir, 'journal.db'));
  } catch (e) {
    say(`cannot read the journal in ${dataDir}: ${(e as Error).message}`);
    return 73;
  }
  const running = linkedVersion(l.current);
  try {
    const r = await installBundle({
      root, bundle: values.bundle, trusted: keys,
      host: { arch: process.arch, node: process.versions.node, journal, runningWrites: running === null ? null : JOURNAL_SCHEMA },
    });
    if (r.outcome === 'already_current') {
      process.stdout.write(`release ${r.version} is already the current one; nothing changed\n`);
      return 0;
    }
    process.stdout.write(`release ${r.version} installed in ${join(l.releases, r.version)} (signed by release key ${r.keyId}); `
      + `current → ${r.version}, previous → ${r.previous ?? 'none'}${r.removed.length ? `; removed ${r.removed.join(', ')}` : ''}\n`
      + 'restart the daemon to run it: systemctl restart klubkort\n');
    return 0;
  } catch (e) {
    if (e instanceof BundleRefused) { say(`refused (${e.reason}): ${e.message}; nothing was unpacked`); return 65; }
    if (e instanceof InstallError) { say(e.message); return 73; }
    say(`failed: ${(e as Error).message}; the current release (${running ?? 'none'}) is unchanged`);
    return 73;
  }
}
