// The image's release: the signed arm64 bundle of this tree (scripts/release-build.ts), cached in
// /var/cache/klubkort-image keyed by the tree's files and the signing key, so a rerun of
// `npm run image` on the same tree skips the cross build (minutes).
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf } from '../../firmware/release/signing.ts';
import { buildRelease, PROJECT } from '../release-build.ts';
import { CACHE } from './root.ts';

/** What a release is not made of: the tests, and the scripts other than the build's. */
const notInRelease = (f: string): boolean =>
  f.startsWith('test/') ||
  (f.startsWith('scripts/') && !['scripts/build.ts', 'scripts/bundle.ts', 'scripts/release-build.ts'].includes(f));

/** A hash of every file of the tree a release is made from (tracked or new, not ignored). */
export function treeKey(): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: PROJECT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && !notInRelease(f) && existsSync(join(PROJECT, f)) && lstatSync(join(PROJECT, f)).isFile())
    .sort();
  const h = createHash('sha256');
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(PROJECT, f)))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

export interface ImageBundle {
  file: string;
  publicKeyPem: string;
  keyId: string;
  built: boolean;
}

export async function imageBundle(keyPem: string, log: (line: string) => void): Promise<ImageBundle> {
  const pub = createPublicKey(keyPem);
  const keyId = keyIdOf(pub);
  const publicKeyPem = pub.export({ type: 'spki', format: 'pem' }) as string;
  const dir = join(CACHE, `bundle-${treeKey()}-${keyId}`);
  const existing = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('-linux-arm64.tar.gz')) : undefined;
  if (existing) return { file: join(dir, existing), publicKeyPem, keyId, built: false };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = await buildRelease({ arch: 'arm64', keyPem, outDir: dir, workDir: join(CACHE, 'release-work'), log });
  for (const old of readdirSync(CACHE))
    if (old.startsWith('bundle-') && join(CACHE, old) !== dir)
      rmSync(join(CACHE, old), { recursive: true, force: true });
  return { file: r.file, publicKeyPem, keyId, built: true };
}
