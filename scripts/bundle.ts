// esbuild's bundle of the daemon's kind: one ES module per entry, a chunk per lazily imported part,
// dependencies left in node_modules (native addons, optional hardware libraries). Used by
// `npm run build` (scripts/build.ts), the release builder and the loop bench's child.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

/** A source file of the repository by its path from the root. */
export const source = (path: string): string => new URL(`../${path}`, import.meta.url).pathname;
/** The photo preparer's worker thread: firmware/ui/photo/photo-preparer.ts loads photo-worker.js beside its chunk. */
export const PHOTO_WORKER = { 'photo-worker': source('firmware/ui/photo/photo-prepare-worker.ts') };

/**
 * Bundles `entryPoints` (name → source file) into `outdir` as the daemon is built. `outdir` must be
 * a folder of the repository's root: firmware/version.ts reads ../package.json beside its chunk.
 */
export async function bundle(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  // Chunk names carry hashes: old ones would pile up.
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
