#!/usr/bin/env node
// Runs the compiled bundle in dist/ (built by `npm run build`, which `npm install` runs): no
// TypeScript loader in the daemon's memory. When dist/ is missing or older than a source file (a
// developer's edit), the sources run through tsx instead, so what runs is never stale.
import { readdirSync, readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

// Before anything that an older Node cannot load: one clear line instead of a stack trace (Debian
// 12's Node 18 has no zlib.crc32, sqlite3 6 needs 20.17). The range is package.json's engines.node.
const needed = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).engines.node;
const want = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(needed).slice(1).map(Number);
const have = process.versions.node.split('.').map(Number);
const older = want.findIndex((w, i) => have[i] !== w);
if (older >= 0 && have[older] < want[older]) {
  process.stderr.write(
    `klubkort: needs Node.js ${needed.slice(2)} or later, this is ${process.versions.node} (${process.execPath}); Debian 13 ships Node 20.19\n`,
  );
  process.exit(69);
}
const SOURCES = ['lib', 'contract', 'hal', 'firmware', 'sim', 'bin'];

function mtime(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return -1;
  }
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
// A release bundle (npm run release) has dist/ and no sources.
const release = mtime(new URL('contract/', root)) < 0;
const fresh = built >= 0 && (release || SOURCES.every((d) => newestSource(new URL(`${d}/`, root)) <= built));

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
