// The releases on a terminal:
//   /opt/klubkort/releases/<version>/   one unpacked bundle each, complete or absent (renamed in whole)
//   /opt/klubkort/current  -> releases/<version>   what the unit runs
//   /opt/klubkort/previous -> releases/<version>   what a rollback goes back to
//   /opt/klubkort/committed -> releases/<version>  the last release that proved itself (READY=1 under
//                                                  systemd: journal migrated, screen drawn, link up)
//   /opt/klubkort/bin, systemd, docs -> current/…  the paths older units and scripts name (the unit runs current/)
// Each link is replaced by renaming a new one over it, so after a power cut at any moment each
// names a complete release; a rollback is the same switch the other way.
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { syncDir } from './bundle.ts';
import { MANIFEST_NAME } from './manifest.ts';
import type { UpdateReport } from '../../contract/release.ts';
import type { PauseStep } from './test-pause.ts';

export const APP_DIR = '/opt/klubkort';

export interface Layout {
  app: string;
  releases: string;
  current: string;
  previous: string;
  committed: string;
  /** Versions rolled back from, one a line: never installed again by the update agent. */
  rolledBack: string;
}

export function layoutOf(root: string): Layout {
  const app = join(root, APP_DIR);
  return {
    app,
    releases: join(app, 'releases'),
    current: join(app, 'current'),
    previous: join(app, 'previous'),
    committed: join(app, 'committed'),
    rolledBack: join(app, 'rolled-back'),
  };
}

/** Leftovers of an interrupted unpack or removal start with this; they are never a release. */
const SCRATCH = /^\.(staging|trash)-/;

/** The version a link names (releases/<version>), or null when there is no such link. */
export function linkedVersion(link: string): string | null {
  let target: string;
  try {
    target = readlinkSync(link);
  } catch {
    return null;
  }
  return target.startsWith('releases/') ? basename(target) : null;
}

export const releaseDir = (l: Layout, version: string): string => join(l.releases, version);

/** A scratch directory for a new release, beside the releases so the final rename stays on one file system. */
export function scratchDir(l: Layout, kind: 'staging' | 'trash', version: string): string {
  return join(l.releases, `.${kind}-${version}-${randomBytes(4).toString('hex')}`);
}

/** The manifest an installed release was unpacked with (null: none there). */
export function installedManifest(l: Layout, version: string): Buffer | null {
  try {
    return readFileSync(join(releaseDir(l, version), MANIFEST_NAME));
  } catch {
    return null;
  }
}

/** `link` → releases/<version>, atomically: a new link renamed over the old one. */
async function pointLink(l: Layout, link: string, version: string): Promise<void> {
  const tmp = `${link}.new-${randomBytes(4).toString('hex')}`;
  symlinkSync(`releases/${version}`, tmp);
  try {
    renameSync(tmp, link);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
  await syncDir(l.app);
}

/**
 * Makes `version` current. The release that was current becomes `previous` first, so that at every
 * moment `previous` and `current` each name a complete release.
 */
export async function switchTo(
  l: Layout,
  version: string,
  reached?: (step: PauseStep) => Promise<void>,
): Promise<{ previous: string | null }> {
  if (!existsSync(join(releaseDir(l, version), MANIFEST_NAME))) throw new Error(`release ${version} is not installed`);
  const was = linkedVersion(l.current);
  if (was !== null && was !== version) {
    await pointLink(l, l.previous, was);
    await reached?.('after-previous');
  }
  await pointLink(l, l.current, version);
  return { previous: was !== null && was !== version ? was : linkedVersion(l.previous) };
}

/** The rollback: `previous` becomes current and the release that was current becomes previous. */
export async function rollBack(l: Layout): Promise<{ current: string; previous: string | null }> {
  const back = linkedVersion(l.previous);
  if (back === null) throw new Error('there is no previous release to go back to');
  const { previous } = await switchTo(l, back);
  return { current: back, previous };
}

/** Marks the current release as proved: an automatic rollback no longer leaves it. */
export async function commitCurrent(l: Layout): Promise<{ version: string; already: boolean }> {
  const version = linkedVersion(l.current);
  if (version === null) throw new Error('there is no current release');
  if (linkedVersion(l.committed) === version) return { version, already: true };
  await pointLink(l, l.committed, version);
  return { version, already: false };
}

export type RollbackPlan = { action: 'roll_back'; from: string; to: string } | { action: 'none'; why: string };

/**
 * Whether a failed klubkort.service goes back to the previous release: only a release that has not
 * proved itself (not committed) is left, and only for the one that did (or, before any commit,
 * for whatever ran before). Otherwise the unit is only started again: a committed release that
 * fails later is more likely failing for the machine's reasons (network, disk, reader), and going
 * back and forth between releases would not help a till that must sell.
 */
export function planRollback(s: {
  current: string | null;
  previous: string | null;
  committed: string | null;
}): RollbackPlan {
  if (s.current === null) return { action: 'none', why: 'there is no current release' };
  if (s.current === s.committed)
    return { action: 'none', why: `release ${s.current} is committed (it proved itself): started again as it is` };
  if (s.previous === null) return { action: 'none', why: `release ${s.current} has no previous release to go back to` };
  if (s.committed !== null && s.previous !== s.committed) {
    return {
      action: 'none',
      why: `the previous release ${s.previous} never proved itself either (committed: ${s.committed})`,
    };
  }
  return { action: 'roll_back', from: s.current, to: s.previous };
}

/** The rollback a failed unit asks for (planRollback), done; the version left is remembered in `rolled-back`. */
export async function rollBackIfUnproved(l: Layout): Promise<RollbackPlan> {
  const plan = planRollback({
    current: linkedVersion(l.current),
    previous: linkedVersion(l.previous),
    committed: linkedVersion(l.committed),
  });
  if (plan.action === 'roll_back') {
    await rollBack(l);
    appendFileSync(l.rolledBack, `${plan.from}\n`);
  }
  return plan;
}

/** Versions this terminal rolled back from. */
export function rolledBackVersions(l: Layout): string[] {
  try {
    return readFileSync(l.rolledBack, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * What the retained status says of the last update (contract 1.2 `update`), from the layout: the
 * version rolled back from when that is the newest event, else the running release, committed or
 * still on trial. `at`: when the link or file was last written (wall clock). Null outside releases.
 */
export function updateReportOf(l: Layout, running: string | null): UpdateReport | null {
  if (running === null) return null;
  const when = (p: string): number | null => {
    try {
      return lstatSync(p).mtimeMs;
    } catch {
      return null;
    }
  };
  const back = rolledBackVersions(l).at(-1);
  const backAt = when(l.rolledBack);
  const committed = linkedVersion(l.committed) === running ? when(l.committed) : null;
  if (back !== undefined && back !== running && backAt !== null && (committed === null || backAt >= committed)) {
    return {
      version: back,
      state: 'rolled_back',
      error: 'failed before it proved itself',
      at: new Date(backAt).toISOString(),
    };
  }
  if (committed !== null)
    return { version: running, state: 'committed', error: null, at: new Date(committed).toISOString() };
  const since = when(l.current);
  return since === null ? null : { version: running, state: 'running', error: null, at: new Date(since).toISOString() };
}

/**
 * The release a daemon runs and whether it is on trial (installed over a release it can go back
 * to, and not yet committed): `mainFile` is the script node runs, resolved through `current`.
 */
export function releaseOf(l: Layout, mainFile: string): { version: string | null; trial: boolean } {
  let real: string;
  try {
    real = realpathSync(mainFile);
  } catch {
    return { version: null, trial: false };
  }
  let releases: string;
  try {
    releases = realpathSync(l.releases);
  } catch {
    return { version: null, trial: false };
  }
  const rel = relative(releases, real).split(sep);
  if (rel.length < 2 || rel[0] === '..' || rel[0] === '') return { version: null, trial: false };
  const version = rel[0];
  const trial =
    linkedVersion(l.committed) !== version &&
    linkedVersion(l.previous) !== null &&
    linkedVersion(l.previous) !== version;
  return { version, trial };
}

/**
 * Removes every release but the current and the previous one, and the leftovers of interrupted
 * work; each renamed out of the way first, so a power cut never leaves half a release under its name.
 */
export function prune(l: Layout): string[] {
  const keep = new Set([linkedVersion(l.current), linkedVersion(l.previous), linkedVersion(l.committed)]);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(l.releases);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (keep.has(name)) continue;
    const path = join(l.releases, name);
    if (SCRATCH.test(name)) {
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    const trash = scratchDir(l, 'trash', name);
    renameSync(path, trash);
    rmSync(trash, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** What the unit and /usr/local/bin/klubkort name below /opt/klubkort: links into `current`. */
export const ENTRY_LINKS = ['bin', 'systemd', 'docs'] as const;

/**
 * Why the entry links cannot be made: a checkout installed by install.sh has real directories
 * there, which the unit would keep running whatever `current` says. Null: none, or already links.
 */
export function entryProblem(l: Layout): string | null {
  for (const name of ENTRY_LINKS) {
    const path = join(l.app, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (!st.isSymbolicLink() || readlinkSync(path) !== `current/${name}`) {
      return (
        `${path} is not a link to current/${name} (installed from a checkout?): the unit would keep running what is there; ` +
        'move the old installation away first'
      );
    }
  }
  return null;
}

/** Makes the missing entry links (each a new link renamed into place). */
export async function ensureEntryLinks(l: Layout): Promise<void> {
  let made = false;
  for (const name of ENTRY_LINKS) {
    const path = join(l.app, name);
    if (lstatSync(path, { throwIfNoEntry: false })) continue;
    const tmp = `${path}.new-${randomBytes(4).toString('hex')}`;
    symlinkSync(`current/${name}`, tmp);
    renameSync(tmp, path);
    made = true;
  }
  if (made) await syncDir(l.app);
}
