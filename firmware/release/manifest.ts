// A release bundle's manifest.json: what the release is, what it needs of the terminal, and the
// SHA-256 of every file in it. Signed (manifest.sig, signing.ts); the terminal trusts nothing of a
// bundle that the manifest does not vouch for.
import { z } from 'zod';
import { IsoTime, ReleaseVersion, SHA256_HEX } from '../../contract/index.ts';
import { neededSchema } from '../journal/migrations.ts';

export const ARCHES = ['x64', 'arm64'] as const;
export const Arch = z.enum(ARCHES);
export type Arch = z.infer<typeof Arch>;

/**
 * A path inside the bundle: relative, '/'-separated, no '.', '..' or empty segment, printable ASCII
 * only (no backslash), so that it can only ever name a file below the release's directory.
 */
const SEGMENT = /^(?!\.{1,2}$)[\x20-\x2e\x30-\x5b\x5d-\x7e]{1,200}$/;
export const BundlePath = z
  .string()
  .max(255)
  .refine((p) => p.split('/').every((s) => SEGMENT.test(s)), 'a relative path of plain names');

export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';

export const ManifestFile = z.object({
  path: BundlePath.refine((p) => p !== MANIFEST_NAME && p !== SIGNATURE_NAME, 'the manifest does not list itself'),
  size: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31),
  mode: z.union([z.literal(0o644), z.literal(0o755)]),
  sha256: z.string().regex(SHA256_HEX),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

/** `>=X.Y.Z`: the only form of Node range a manifest uses (engines.node in package.json). */
export const NODE_RANGE = /^>=(\d+)\.(\d+)\.(\d+)$/;

export const Manifest = z.object({
  format: z.literal(1),
  name: z.literal('klubkort'),
  version: ReleaseVersion,
  platform: z.literal('linux'),
  arch: Arch,
  node: z.string().regex(NODE_RANGE, 'a Node range >=X.Y.Z'),
  /**
   * The journal schemas (firmware/journal/migrations.ts): `writes`, what it migrates a journal to;
   * `readsFrom`, the oldest it migrates from; `readableBy`, the oldest release schema that can
   * still open a journal it migrated (its later migrations only add).
   */
  journal: z
    .object({
      writes: z.number().int().positive(),
      readsFrom: z.number().int().nonnegative(),
      readableBy: z.number().int().positive(),
    })
    .refine((j) => j.readsFrom <= j.writes && j.readableBy <= j.writes, 'readsFrom and readableBy are at most writes'),
  builtAt: IsoTime,
  files: z
    .array(ManifestFile)
    .min(1)
    .max(100_000)
    .refine((fs) => new Set(fs.map((f) => f.path)).size === fs.length, 'each path once')
    .refine((fs) => {
      // A file may not also be a directory of another (a/b and a/b/c).
      const dirs = new Set(
        fs.flatMap((f) =>
          f.path
            .split('/')
            .slice(0, -1)
            .map((_, i, a) => a.slice(0, i + 1).join('/')),
        ),
      );
      return fs.every((f) => !dirs.has(f.path));
    }, 'no file is a directory of another'),
});
export type Manifest = z.infer<typeof Manifest>;

/** The manifest as written into the bundle: the exact bytes that are signed. */
export const manifestBytes = (m: Manifest): Buffer => Buffer.from(JSON.stringify(m, null, 2) + '\n');

/** Compares dotted numeric versions (x.y.z); a pre-release tag sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const [ca, ta] = splitTag(a);
  const [cb, tb] = splitTag(b);
  for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (ta === tb) return 0;
  if (ta === null) return 1;
  if (tb === null) return -1;
  return ta < tb ? -1 : 1;
}

function splitTag(v: string): [number[], string | null] {
  const dash = v.indexOf('-');
  const core = dash < 0 ? v : v.slice(0, dash);
  return [core.split('.').map((n) => Number.parseInt(n, 10) || 0), dash < 0 ? null : v.slice(dash + 1)];
}

/** Whether Node `version` (e.g. "20.19.2") satisfies `range` (">=20.17.0"). */
export function nodeSatisfies(version: string, range: string): boolean {
  const m = NODE_RANGE.exec(range);
  if (!m) return false;
  return compareVersions(version.replace(/^v/, ''), `${m[1]}.${m[2]}.${m[3]}`) >= 0;
}

/** What the release asks of the terminal, checked before anything is unpacked. */
export interface HostFacts {
  arch: string;
  /** process.versions.node of the Node that will run the release. */
  node: string;
  /** The journal as it is now (null: none yet): its schema and the `readableBy` of its last migration. */
  journal: { version: number; readableBy: number | null } | null;
  /** The schema the running release writes (a rollback goes back to it), if one runs. */
  runningWrites: number | null;
}

/** Why the host cannot take the release (null: it can). */
export function hostRefusal(
  m: Manifest,
  h: HostFacts,
): { reason: 'arch' | 'node' | 'journal'; message: string } | null {
  if (m.arch !== h.arch) return { reason: 'arch', message: `the release is for ${m.arch}, this terminal is ${h.arch}` };
  if (!nodeSatisfies(h.node, m.node))
    return { reason: 'node', message: `the release needs Node.js ${m.node}, this terminal has ${h.node}` };
  const j = h.journal;
  if (j) {
    if (j.version < m.journal.readsFrom) {
      return {
        reason: 'journal',
        message: `the journal has schema ${j.version}; the release migrates from ${m.journal.readsFrom} on`,
      };
    }
    const needed = neededSchema(j.version, j.readableBy);
    if (needed > m.journal.writes) {
      return {
        reason: 'journal',
        message: `the journal has schema ${j.version}, which releases writing schema ${needed} or later can open; the release writes ${m.journal.writes}`,
      };
    }
  }
  // After this release migrates the journal, the running one must still open it: else no rollback.
  if (h.runningWrites !== null && j && j.version < m.journal.writes && m.journal.readableBy > h.runningWrites) {
    return {
      reason: 'journal',
      message: `the release migrates the journal to schema ${m.journal.writes}, which the running release (schema ${h.runningWrites}) could not open: a rollback would be impossible`,
    };
  }
  return null;
}
