#!/usr/bin/env node
// Runs the compiled bundle in dist/ (built by `npm run build`, which `npm install` runs): no
// TypeScript loader in the daemon's memory. When dist/ is missing or older than a source file (a
// developer's edit), the sources run through tsx instead, so what runs is never stale.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const SOURCES = ['contract', 'hal', 'firmware', 'sim', 'bin'];

function mtime(url) {
  try { return statSync(url).mtimeMs; } catch { return -1; }
}

function newestSource(dir) {
  let newest = mtime(dir);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) newest = Math.max(newest, newestSource(new URL(`${e.name}/`, dir)));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, mtime(new URL(e.name, dir)));
  }
  return newest;
}

const bundle = new URL('dist/main.js', root);
const built = mtime(bundle);
const fresh = built >= 0 && SOURCES.every((d) => newestSource(new URL(`${d}/`, root)) <= built);

let main;
if (fresh && !process.env.KLUBKORT_FROM_SOURCE) {
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./commands.ts'));
}
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
