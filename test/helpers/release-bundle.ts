// A real release bundle for the tests, built once per test file (scripts/release-build.ts, this
// machine's architecture, its addons reused from npm install), and tools to make bad ones from it:
// a byte changed, the manifest changed, signed by another key.
import { createHash, createPublicKey } from 'node:crypto';
import {
  createReadStream,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { Arch, manifestBytes, Manifest } from '../../firmware/release/manifest.ts';
import { keyIdOf, signManifest, writeReleaseKey } from '../../firmware/release/signing.ts';
import { readTar, tarPieces, type TarFile } from '../../firmware/release/tar.ts';
import { buildRelease, type BuildResult } from '../../scripts/release-build.ts';

export interface TestKey {
  keyId: string;
  privatePem: string;
  pubDir: string;
}

/** A release key; `pubDir` holds only its public key (a terminal's release-keys dir). */
export function testKey(dir: string): TestKey {
  const k = writeReleaseKey(join(dir, 'private'));
  const pubDir = join(dir, 'trusted');
  mkdirSync(pubDir, { recursive: true });
  writeFileSync(join(pubDir, `${k.keyId}.pub`), readFileSync(k.publicFile));
  return { keyId: k.keyId, privatePem: readFileSync(k.privateFile, 'utf8'), pubDir };
}

/** Builds the bundle of this checkout for this machine, signed with `key`. */
export async function buildTestBundle(dir: string, key: TestKey, version = '0.1.0-test.1'): Promise<BuildResult> {
  return buildRelease({
    arch: Arch.parse(process.arch),
    keyPem: key.privatePem,
    outDir: dir,
    version,
    workDir: join(dir, '.work'),
  });
}

/** The bundle's entries (manifest.json, manifest.sig, the files), in order. */
export async function readBundle(file: string): Promise<TarFile[]> {
  const out: TarFile[] = [];
  for await (const e of readTar(createReadStream(file).pipe(createGunzip()))) {
    const parts: Buffer[] = [];
    for await (const p of e.body()) parts.push(p);
    out.push({ path: e.path, mode: e.mode, mtime: 0, data: Buffer.concat(parts) });
  }
  return out;
}

export function writeBundle(file: string, entries: readonly TarFile[]): string {
  writeFileSync(file, gzipSync(Buffer.concat(tarPieces(entries)), { level: 1 }));
  return file;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A bundle made from `entries`: the files changed by `files`, the manifest by `manifest` (hashes of
 * changed files brought up to date first), signed with `key` unless `sign` is false (the old sig kept).
 */
export function remake(
  entries: readonly TarFile[],
  o: {
    key: TestKey;
    manifest?: (m: Manifest) => Manifest;
    files?: (fs: TarFile[]) => TarFile[];
    sign?: boolean;
    rehash?: boolean;
  },
): TarFile[] {
  const [m, sig, ...rest] = entries;
  const files = o.files ? o.files(rest.map((f) => ({ ...f }))) : [...rest];
  let manifest = Manifest.parse(JSON.parse(m!.data.toString()));
  if (o.rehash !== false) {
    // Only what `files` changed (a new data buffer) is hashed again.
    const was = new Map(rest.map((f) => [f.path, f.data]));
    const changed = new Map(files.filter((f) => was.get(f.path) !== f.data).map((f) => [f.path, f.data]));
    manifest = {
      ...manifest,
      files: manifest.files.map((f) => {
        const data = changed.get(f.path);
        return data ? { ...f, size: data.length, sha256: sha(data) } : f;
      }),
    };
  }
  if (o.manifest) manifest = o.manifest(manifest);
  const bytes = manifestBytes(manifest);
  return [
    { ...m!, data: bytes },
    { ...sig!, data: o.sign === false ? sig!.data : signManifest(bytes, o.key.privatePem) },
    ...files,
  ];
}

/** Every path under `root` with what it is: a directory, a link and its target, a file's size and bytes' hash. */
export function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = join(dir, n);
      const st = lstatSync(p);
      const key = relative(root, p);
      if (st.isSymbolicLink()) out[key] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[key] = 'dir';
        walk(p);
      } else out[key] = `file ${st.size} ${st.mtimeMs}`;
    }
  };
  walk(root);
  return out;
}

/** A terminal's root for `klubkort update --root`: the trusted keys in etc/klubkort/release-keys. */
export function terminalRoot(base: string, key: TestKey): string {
  const root = mkdtempSync(join(base, 'root-'));
  mkdirSync(join(root, 'etc/klubkort/release-keys'), { recursive: true });
  for (const f of readdirSync(key.pubDir))
    writeFileSync(join(root, 'etc/klubkort/release-keys', f), readFileSync(join(key.pubDir, f)));
  return root;
}

/** The key a bundle was signed with, as a TestKey (its private PEM file, e.g. `npm run image`'s). */
export function keyOfFile(privateFile: string): TestKey {
  const privatePem = readFileSync(privateFile, 'utf8');
  return { keyId: keyIdOf(createPublicKey(privatePem)), privatePem, pubDir: '' };
}

/** A `dist/main.js` prefix: the release's daemon exits 70 at once (a release that never proves itself). */
export const CRASH_AT_START = `if (process.argv[2] === 'run') { process.stderr.write('test fault: crash at start\\n'); process.exit(70); }\n`;

/**
 * `entries` as release `version` (its manifest and package.json say so), signed by `key`;
 * `mainPrefix` (e.g. CRASH_AT_START) runs before the release's own `dist/main.js`.
 */
export function asRelease(
  entries: readonly TarFile[],
  o: { key: TestKey; version: string; mainPrefix?: string },
): TarFile[] {
  return remake(entries, {
    key: o.key,
    manifest: (m) => ({ ...m, version: o.version }),
    files: (fs) =>
      fs.map((f) =>
        f.path === 'package.json'
          ? { ...f, data: Buffer.from(JSON.stringify({ ...JSON.parse(f.data.toString()), version: o.version })) }
          : f.path === 'dist/main.js' && o.mainPrefix
            ? { ...f, data: Buffer.concat([Buffer.from(o.mainPrefix), f.data]) }
            : f,
      ),
  });
}
