// Installing a bundle: verified whole first (nothing is written before), unpacked into a scratch
// directory renamed to releases/<version> once complete, then `current` switched to it.
import type { KeyObject } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { syncDir, unpackBundle, verifyBundle } from './bundle.ts';
import type { HostFacts } from './manifest.ts';
import type { PauseStep } from './test-pause.ts';
import {
  ensureEntryLinks,
  entryProblem,
  installedManifest,
  layoutOf,
  linkedVersion,
  prune,
  releaseDir,
  scratchDir,
  switchTo,
} from './releases.ts';

export class InstallError extends Error {
  override name = 'InstallError';
}

export interface InstallResult {
  /** `already_current`: that very build was running; nothing changed. */
  outcome: 'installed' | 'already_current';
  version: string;
  previous: string | null;
  keyId: string;
  /** Older releases removed (all but current and previous). */
  removed: string[];
}

export async function installBundle(o: {
  root: string;
  bundle: string;
  trusted: ReadonlyMap<string, KeyObject>;
  host: HostFacts;
  /** Called at each step of the switch (test-pause.ts: the power-cut tests stop there). */
  reached?: (step: PauseStep) => Promise<void>;
}): Promise<InstallResult> {
  const l = layoutOf(o.root);
  const v = await verifyBundle(o.bundle, o.trusted, o.host);
  const version = v.manifest.version;
  const entries = entryProblem(l);
  if (entries) throw new InstallError(entries);
  const installed = installedManifest(l, version);
  if (installed && !installed.equals(v.manifestBytes)) {
    // Replacing it could leave `current` or `previous` naming half a release: a new build gets a new version.
    throw new InstallError(
      `release ${version} is already installed from another build; give the new build a version of its own`,
    );
  }
  if (installed && linkedVersion(l.current) === version) {
    await ensureEntryLinks(l);
    // What an interrupted run of this same update left (a staging directory) goes now.
    return {
      outcome: 'already_current',
      version,
      previous: linkedVersion(l.previous),
      keyId: v.keyId,
      removed: prune(l),
    };
  }
  if (!installed) {
    mkdirSync(l.releases, { recursive: true, mode: 0o755 });
    const staging = scratchDir(l, 'staging', version);
    try {
      await unpackBundle(o.bundle, v, staging);
      renameSync(staging, releaseDir(l, version));
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      throw e;
    }
    await syncDir(l.releases);
    await o.reached?.('after-unpack');
  }
  const { previous } = await switchTo(l, version, o.reached);
  await o.reached?.('after-current');
  await ensureEntryLinks(l);
  return { outcome: 'installed', version, previous, keyId: v.keyId, removed: prune(l) };
}
