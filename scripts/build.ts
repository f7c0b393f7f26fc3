// `npm run build` (run by `npm install`): the daemon as one ES module bundle in dist/, with a chunk
// per lazily imported part (sim, console UI, Pi drivers, provisioning) so a headless terminal never
// loads the UI. Dependencies stay in node_modules (native addons, optional hardware libraries).
// The release builder (scripts/release-build.ts) builds the same into its own staging directory.
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export async function buildDist(outdir: string): Promise<void> {
  // Chunk names carry hashes: old ones would pile up.
  rmSync(outdir, { recursive: true, force: true });
  await build({
    // The PC/SC child process is an entry of its own: the reader driver forks dist/pcsc-child.js.
    entryPoints: {
      main: new URL('../bin/commands.ts', import.meta.url).pathname,
      'pcsc-child': new URL('../hal/pi/reader/pcsc-child.ts', import.meta.url).pathname,
      // The photo preparer's worker thread (firmware/ui/photo/photo-preparer.ts loads dist/photo-worker.js).
      'photo-worker': new URL('../firmware/ui/photo/photo-prepare-worker.ts', import.meta.url).pathname,
    },
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await buildDist(new URL('../dist/', import.meta.url).pathname);
