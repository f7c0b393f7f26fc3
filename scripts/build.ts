// `npm run build` (run by `npm install`): the daemon as one ES module bundle in dist/, with a chunk
// per lazily imported part (sim, console UI, Pi drivers, provisioning) so a headless terminal never
// loads the UI. Dependencies stay in node_modules (native addons, optional hardware libraries).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/', import.meta.url).pathname;
// Chunk names carry hashes: old ones would pile up.
rmSync(outdir, { recursive: true, force: true });
await build({
  // The PC/SC child process is an entry of its own: the reader driver forks dist/pcsc-child.js.
  entryPoints: {
    main: new URL('../bin/commands.ts', import.meta.url).pathname,
    'pcsc-child': new URL('../hal/pi/pcsc-child.ts', import.meta.url).pathname,
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
