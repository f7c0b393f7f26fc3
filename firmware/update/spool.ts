// Where the update agent (the daemon, unprivileged, /opt read-only to it) and the root side
// (klubkort-update.path → klubkort-update.service → `klubkort update --request`) meet: a directory
// in the data dir. The agent downloads `<version>.tar.gz` there and writes `request.json`; the
// path unit sees it, the root side installs the bundle, writes `result.json`, removes the request
// and restarts the daemon. The agent also remembers the bundles it refused there.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parsePayload } from '../../contract/index.ts';
import { ReleaseVersion, UpdateReport } from '../../contract/release.ts';
import { writeFileAtomic } from '../cli/provision/config-file.ts';
import type { Refusal } from './agent-machine.ts';

/** The spool below a data dir (the path unit watches /var/lib/klubkort/update/request.json). */
export const spoolDir = (dataDir: string): string => join(dataDir, 'update');
export const REQUEST_NAME = 'request.json';
export const RESULT_NAME = 'result.json';
const REFUSED_NAME = 'refused.json';
/** The newest refusals kept (older announcements are long replaced). */
const REFUSED_KEPT = 20;

export const bundleName = (version: string): string => `${version}.tar.gz`;

/** The hand-over: which downloaded bundle to install (a plain name in the spool, never a path). */
export const UpdateRequest = z.object({
  version: ReleaseVersion,
  bundle: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.-]{0,80}\.tar\.gz$/, 'a bundle file name in the spool'),
});
export type UpdateRequest = z.infer<typeof UpdateRequest>;

/** What the root side did with a request: `staged` (installed, the daemon restarted) or `failed`. */
export const UpdateResult = UpdateReport.extend({ state: z.enum(['staged', 'failed']) });
export type UpdateResult = z.infer<typeof UpdateResult>;

const Refusals = z.array(z.object({ version: ReleaseVersion, sha256: z.string(), error: z.string().max(500) }));

function readJson<T>(file: string, schema: z.ZodType<T>): T | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const r = parsePayload(schema, bytes);
  return r.ok ? r.value : null;
}

export class Spool {
  constructor(readonly dir: string) {}

  bundle(version: string): string {
    return join(this.dir, bundleName(version));
  }

  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  refused(): Refusal[] {
    return readJson(join(this.dir, REFUSED_NAME), Refusals) ?? [];
  }

  remember(r: Refusal): void {
    this.ensure();
    const kept = [...this.refused().filter((x) => x.version !== r.version || x.sha256 !== r.sha256), r].slice(
      -REFUSED_KEPT,
    );
    writeFileAtomic(join(this.dir, REFUSED_NAME), JSON.stringify(kept) + '\n', 0o600, null);
  }

  /** Removes downloaded bundles (complete or partial) of every version but `version`. */
  keepOnly(version: string | null): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const keep = version === null ? null : bundleName(version);
    for (const n of names) {
      if (!n.endsWith('.tar.gz') && !n.endsWith('.tar.gz.part')) continue;
      if (keep !== null && (n === keep || n === `${keep}.part`)) continue;
      rmSync(join(this.dir, n), { force: true });
    }
  }

  /** The request for the root side; a result of an earlier one goes first (it would be taken for this one's). */
  handOver(version: string): void {
    rmSync(join(this.dir, RESULT_NAME), { force: true });
    const req: UpdateRequest = { version, bundle: bundleName(version) };
    writeFileAtomic(join(this.dir, REQUEST_NAME), JSON.stringify(req) + '\n', 0o600, null);
  }

  /** The root side's answer to the request for `version`, if it came. */
  result(version: string): UpdateResult | null {
    const r = readJson(join(this.dir, RESULT_NAME), UpdateResult);
    return r && r.version === version ? r : null;
  }
}

/**
 * The root side's view of a request's spool: the daemon owns that directory, so root trusts no link
 * in it. The spool must be a directory itself (not a link elsewhere); the result is written to a
 * new file (O_EXCL, O_NOFOLLOW: never through a link planted there) renamed into place.
 */
export function spoolProblem(dir: string): string | null {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() ? null : `${dir} is not a directory (a link?): not used`;
  } catch (e) {
    return `${dir}: ${(e as Error).message}`;
  }
}

export function writeResult(dir: string, result: UpdateResult): void {
  const tmp = join(dir, `.${RESULT_NAME}.${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, JSON.stringify(result) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, RESULT_NAME));
}
