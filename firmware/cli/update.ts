// `klubkort update --bundle FILE [--root DIR]`: installs a release bundle on this terminal after
// verifying it whole (signature by a trusted release key, architecture, Node, journal schema, the
// SHA-256 of every file), and switches /opt/klubkort/current to it atomically.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { JOURNAL_SCHEMA } from '../journal/migrations.ts';
import { journalSchemaOf } from '../journal/schema-of.ts';
import { BundleRefused } from '../release/bundle.ts';
import { installBundle, InstallError } from '../release/install.ts';
import { layoutOf, linkedVersion } from '../release/releases.ts';
import { loadTrustedKeys, RELEASE_KEYS_DIR } from '../release/signing.ts';
import { testPause, type PauseStep } from '../release/test-pause.ts';
import { spoolProblem, UpdateRequest, writeResult, type UpdateResult } from '../update/spool.ts';
import { parsePayload } from '../../contract/index.ts';
import { askControl } from '../control/socket.ts';
import { must } from '../../lib/must.ts';
import { DEFAULT_DATA_DIR, HELP } from './help.ts';
import { readRawConfig } from './provision/config-file.ts';
import { DEFAULT_CONFIG } from './selftest-cmd.ts';
import { systemTimers, type Timers } from '../../lib/timers.ts';

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

interface InstallRun {
  root: string;
  bundle: string;
  keysDir: string;
  journalFile: string;
  reached?: (step: PauseStep) => Promise<void>;
}

/** Verifies and installs `bundle`, saying what happened; `error` is the refusal or failure, for a request's result. */
async function install(o: InstallRun): Promise<{ code: number; installed: boolean; error: string | null }> {
  const fail = (code: number, error: string) => {
    say(error);
    return { code, installed: false, error };
  };
  const { keys, problems } = loadTrustedKeys(o.keysDir);
  for (const p of problems) say(p);
  if (keys.size === 0)
    return fail(78, `no trusted release key in ${o.keysDir}: put the release's public key (*.pub) there`);

  const l = layoutOf(o.root);
  let journal;
  try {
    journal = await journalSchemaOf(o.journalFile);
  } catch (e) {
    return fail(73, `cannot read the journal ${o.journalFile}: ${(e as Error).message}`);
  }
  const running = linkedVersion(l.current);
  try {
    const r = await installBundle({
      root: o.root,
      bundle: o.bundle,
      trusted: keys,
      reached: o.reached,
      host: {
        arch: process.arch,
        node: process.versions.node,
        journal,
        runningWrites: running === null ? null : JOURNAL_SCHEMA,
      },
    });
    if (r.outcome === 'already_current') {
      process.stdout.write(`release ${r.version} is already the current one; nothing changed\n`);
      return { code: 0, installed: false, error: null };
    }
    process.stdout.write(
      `release ${r.version} installed in ${join(l.releases, r.version)} (signed by release key ${r.keyId}); ` +
        `current → ${r.version}, previous → ${r.previous ?? 'none'}${r.removed.length ? `; removed ${r.removed.join(', ')}` : ''}\n` +
        'restart the daemon to run it: systemctl restart klubkort\n',
    );
    return { code: 0, installed: true, error: null };
  } catch (e) {
    if (e instanceof BundleRefused) return fail(65, `refused (${e.reason}): ${e.message}; nothing was unpacked`);
    if (e instanceof InstallError) return fail(73, e.message);
    return fail(73, `failed: ${(e as Error).message}; the current release (${running ?? 'none'}) is unchanged`);
  }
}

/**
 * Asks the daemon (its control socket) until its till is idle: the agent handed over while it was,
 * but a cashier may have opened a sale while the bundle was verified and unpacked here, and the
 * restart must not cut it. No daemon answering (or one before this command existed): no wait.
 */
async function untilTillIdle(dataDir: string, timers: Timers): Promise<void> {
  let told = false;
  for (;;) {
    let answer;
    try {
      answer = await askControl(dataDir, 'idle', timers, 5000);
    } catch {
      return;
    }
    if (!answer.ok || (answer.data as { idle?: unknown } | undefined)?.idle !== false) return;
    if (!told) {
      say('a sale is open at the till: the restart waits until it is idle');
      told = true;
    }
    await new Promise((resolve) => timers.setTimeout(() => resolve(undefined), 1000));
  }
}

/**
 * `--request FILE` (klubkort-update.service, as root): installs the bundle the daemon's update agent
 * downloaded, verified and named in FILE (in its data dir's spool), answers in result.json beside
 * it, removes the request and restarts the unit, which proves the release through the health gate.
 */
async function applyRequest(file: string, o: { root: string; keysDir: string; restart?: string }): Promise<number> {
  const dir = dirname(file);
  const unsafe = spoolProblem(dir);
  if (unsafe) {
    say(unsafe);
    return 65;
  }
  let req: UpdateRequest | null = null;
  try {
    const r = parsePayload(UpdateRequest, readFileSync(file));
    if (r.ok) req = r.value;
    else say(`${file} is not an update request: ${r.error}`);
  } catch (e) {
    say(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (req === null) {
    rmSync(file, { force: true });
    return 65;
  }
  const r = await install({
    root: o.root,
    bundle: join(dir, req.bundle),
    keysDir: o.keysDir,
    journalFile: join(dirname(dir), 'journal.db'),
    reached: (step) => testPause(step, say),
  });
  const result: UpdateResult = {
    version: req.version,
    state: r.code === 0 ? 'staged' : 'failed',
    error: r.error?.slice(0, 500) ?? null,
    at: new Date().toISOString(),
  };
  writeResult(dir, result);
  rmSync(file, { force: true });
  // Only a switch restarts: `already_current` after a power cut is running already (booted from current).
  if (r.installed && o.restart) {
    await untilTillIdle(dirname(dir), systemTimers);
    execFileSync('systemctl', ['--no-block', 'restart', o.restart], { stdio: 'inherit' });
    process.stdout.write(`${o.restart} restarted to run release ${req.version}\n`);
  }
  return r.code;
}

export async function updateCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        bundle: { type: 'string' },
        request: { type: 'string' },
        restart: { type: 'string' },
        root: { type: 'string' },
        keys: { type: 'string' },
        'data-dir': { type: 'string' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`klubkort update: ${(e as Error).message}\n${HELP.update}\n`);
    return 64;
  }
  if (!values.bundle === !values.request) {
    process.stderr.write(`klubkort update: --bundle FILE or --request FILE is needed\n${HELP.update}\n`);
    return 64;
  }
  const root = values.root ?? '/';
  const keysDir = values.keys ?? join(root, RELEASE_KEYS_DIR);
  if (values.request) return applyRequest(values.request, { root, keysDir, restart: values.restart });
  const bundle = must(values.bundle, 'the --bundle option');
  if (/^[a-z]+:\/\//i.test(bundle)) {
    say('give the bundle as a file (download it first)');
    return 64;
  }
  return (
    await install({ root, bundle, keysDir, journalFile: join(root, dataDirOf(root, values['data-dir']), 'journal.db') })
  ).code;
}
