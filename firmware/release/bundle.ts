// Reading a release bundle (klubkort-<version>-linux-<arch>.tar.gz): verify it whole, signature,
// what it asks of the terminal and the hash of every file, before a single byte of it is written;
// then unpack it into a fresh directory, hashing again what is written (the file may have changed
// in between).
import { spawnSync } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { parsePayload } from '../../contract/index.ts';
import { hostRefusal, Manifest, MANIFEST_NAME, SIGNATURE_NAME, type HostFacts, type ManifestFile } from './manifest.ts';
import { verifyManifest } from './signing.ts';
import { readTar, TarError, type TarEntry } from './tar.ts';

export type RefusalReason =
  | 'unreadable'
  | 'signature'
  | 'unknown_key'
  | 'manifest'
  | 'arch'
  | 'node'
  | 'journal'
  | 'files'
  | 'hash';

export class BundleRefused extends Error {
  override name = 'BundleRefused';
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

const MAX_MANIFEST = 16 * 1024 * 1024;
const MAX_SIGNATURE = 4096;

export interface VerifiedBundle {
  manifest: Manifest;
  /** The exact bytes of manifest.json and manifest.sig, as they go into the release's directory. */
  manifestBytes: Buffer;
  signatureBytes: Buffer;
  keyId: string;
}

/** The bundle's tar entries, decompressed as they are read; any read or gzip error ends the iteration. */
function entries(file: string): AsyncIterator<TarEntry> {
  const raw = createReadStream(file);
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return readTar(raw.pipe(gunzip))[Symbol.asyncIterator]();
}

async function whole(e: TarEntry, max: number, what: string): Promise<Buffer> {
  if (e.size > max) throw new BundleRefused('manifest', `${what} is ${e.size} bytes, more than a bundle's ${max}`);
  const parts: Buffer[] = [];
  for await (const p of e.body()) parts.push(p);
  return Buffer.concat(parts);
}

async function next(it: AsyncIterator<TarEntry>): Promise<TarEntry | null> {
  const r = await it.next();
  return r.done ? null : r.value;
}

/** Unreadable input (I/O, gzip, tar) becomes a refusal; a refusal stays what it is. */
async function readingBundle<T>(file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof BundleRefused) throw e;
    const why = e instanceof TarError ? e.message : (e as Error).message;
    throw new BundleRefused('unreadable', `${file} cannot be read as a bundle: ${why}`);
  }
}

/** The first two entries: manifest.json and manifest.sig, as bytes. */
async function readHeadBytes(it: AsyncIterator<TarEntry>): Promise<{ manifestBytes: Buffer; signatureBytes: Buffer }> {
  const m = await next(it);
  if (!m || m.path !== MANIFEST_NAME) throw new BundleRefused('manifest', `a bundle starts with ${MANIFEST_NAME}`);
  const manifestBytes = await whole(m, MAX_MANIFEST, MANIFEST_NAME);
  const s = await next(it);
  if (!s || s.path !== SIGNATURE_NAME)
    throw new BundleRefused('signature', `the bundle has no ${SIGNATURE_NAME} after its manifest`);
  return { manifestBytes, signatureBytes: await whole(s, MAX_SIGNATURE, SIGNATURE_NAME) };
}

/** The manifest, its signature checked against `trusted` before it is even parsed. */
async function readHead(it: AsyncIterator<TarEntry>, trusted: ReadonlyMap<string, KeyObject>): Promise<VerifiedBundle> {
  const { manifestBytes, signatureBytes } = await readHeadBytes(it);
  const sig = verifyManifest(manifestBytes, signatureBytes, trusted);
  if (!sig.ok) throw new BundleRefused(sig.reason, sig.message);
  const parsed = parsePayload(Manifest, manifestBytes);
  if (!parsed.ok)
    throw new BundleRefused('manifest', `the signed manifest is not one this release reads: ${parsed.error}`);
  return { manifest: parsed.value, manifestBytes, signatureBytes, keyId: sig.keyId };
}

/**
 * Walks the files after the manifest: each must be the manifest's next one, with its size and mode,
 * and nothing may follow the last. `write` gets each file's bytes (or nothing, for a check alone).
 */
async function eachFile(
  it: AsyncIterator<TarEntry>,
  files: readonly ManifestFile[],
  write: (f: ManifestFile) => Promise<{ chunk(b: Buffer): Promise<void>; done(): Promise<void> } | null>,
): Promise<void> {
  for (const want of files) {
    const e = await next(it);
    if (!e) throw new BundleRefused('files', `the bundle ends before ${want.path}, which its manifest lists`);
    if (e.path !== want.path)
      throw new BundleRefused('files', `the bundle holds ${e.path} where its manifest lists ${want.path}`);
    if (e.size !== want.size || e.mode !== want.mode) {
      throw new BundleRefused(
        'hash',
        `${e.path} is ${e.size} bytes, mode ${e.mode.toString(8)}; the manifest says ${want.size} bytes, mode ${want.mode.toString(8)}`,
      );
    }
    const sink = await write(want);
    const hash = createHash('sha256');
    try {
      for await (const piece of e.body()) {
        hash.update(piece);
        if (sink) await sink.chunk(piece);
      }
    } finally {
      if (sink) await sink.done();
    }
    if (hash.digest('hex') !== want.sha256)
      throw new BundleRefused('hash', `${e.path} does not match the SHA-256 in the signed manifest`);
  }
  const extra = await next(it);
  if (extra) throw new BundleRefused('files', `the bundle holds ${extra.path}, which its manifest does not list`);
}

/**
 * Verifies the bundle whole without writing anything: the signature (a trusted release key), the
 * manifest, what it asks of this terminal (`host`), then every file's size, mode and SHA-256.
 */
export function verifyBundle(
  file: string,
  trusted: ReadonlyMap<string, KeyObject>,
  host: HostFacts,
): Promise<VerifiedBundle> {
  return readingBundle(file, async () => {
    const it = entries(file);
    try {
      const head = await readHead(it, trusted);
      const refusal = hostRefusal(head.manifest, host);
      if (refusal) throw new BundleRefused(refusal.reason, refusal.message);
      await eachFile(it, head.manifest.files, () => Promise.resolve(null));
      return head;
    } finally {
      await it.return?.();
    }
  });
}

/**
 * Writes the bundle's files into `dest` (which must not exist), hashing them again against the
 * verified manifest, then makes all of it durable with one syncfs (`sync --file-system`): an fsync
 * per file took thousands of journal commits. A refusal leaves `dest` for the caller to remove.
 */
export function unpackBundle(file: string, verified: VerifiedBundle, dest: string): Promise<void> {
  return readingBundle(file, async () => {
    await mkdir(dest, { mode: 0o755 });
    const it = entries(file);
    try {
      // The signature was checked by verifyBundle: the same manifest bytes are all that matters here.
      const head = await readHeadBytes(it);
      if (!head.manifestBytes.equals(verified.manifestBytes) || !head.signatureBytes.equals(verified.signatureBytes)) {
        throw new BundleRefused('hash', `${file} changed after it was verified`);
      }
      await eachFile(it, verified.manifest.files, async (f) => {
        const path = join(dest, f.path);
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        const fh: FileHandle = await open(path, 'wx', f.mode);
        return {
          chunk: async (b) => {
            for (let at = 0; at < b.length; ) at += (await fh.write(b, at)).bytesWritten;
          },
          done: async () => {
            try {
              await fh.chmod(f.mode);
            } finally {
              await fh.close();
            }
          },
        };
      });
    } finally {
      await it.return?.();
    }
    await writeFile(join(dest, MANIFEST_NAME), verified.manifestBytes, { flag: 'wx', mode: 0o644 });
    await writeFile(join(dest, SIGNATURE_NAME), verified.signatureBytes, { flag: 'wx', mode: 0o644 });
    syncFileSystem(dest);
  });
}

/** Everything written to the file system holding `path` is on disk (syncfs(2)). */
export function syncFileSystem(path: string): void {
  const r = spawnSync('sync', ['--file-system', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sync --file-system ${path} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
