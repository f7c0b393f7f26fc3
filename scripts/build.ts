// `npm run build` (run by `npm install`): the daemon as one ES module bundle in dist/, with a chunk
// per lazily imported part (sim, console UI, Pi drivers, provisioning) so a headless terminal never
// loads the UI. Dependencies stay in node_modules (native addons, optional hardware libraries).
// The release builder (scripts/release-build.ts) builds the same into its own staging directory.
import { pathToFileURL } from 'node:url';
import { bundle, PHOTO_WORKER, source } from './bundle.ts';

export async function buildDist(outdir: string): Promise<void> {
  await bundle(
    {
      main: source('bin/commands.ts'),
      // The PC/SC child process is an entry of its own: the reader driver forks dist/pcsc-child.js.
      'pcsc-child': source('hal/pi/reader/pcsc-child.ts'),
      ...PHOTO_WORKER,
    },
    outdir,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await buildDist(new URL('../dist/', import.meta.url).pathname);
