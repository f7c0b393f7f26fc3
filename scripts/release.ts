// `npm run release -- --arch arm64|x64 [--key FILE] [--out DIR] [--version V] [--from-source]`:
// a signed release bundle (scripts/release-build.ts; docs/deploy.md, "Releases").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Arch } from '../firmware/release/manifest.ts';
import { buildRelease, PROJECT } from './release-build.ts';
import { releaseKeyFile } from './release-key.ts';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: process.arch },
    key: { type: 'string' },
    out: { type: 'string', default: join(PROJECT, 'release') },
    version: { type: 'string' },
    'from-source': { type: 'boolean', default: false },
  },
});
const arch = Arch.safeParse(values.arch);
if (!arch.success) {
  process.stderr.write(`release: --arch is x64 or arm64, not ${values.arch}\n`);
  process.exit(64);
}

const keyFile = (): string =>
  releaseKeyFile(values.key, values.out, (line) => process.stderr.write(`release: ${line}\n`));

const started = Date.now();
const r = await buildRelease({
  arch: arch.data,
  keyPem: readFileSync(keyFile(), 'utf8'),
  outDir: values.out,
  version: values.version,
  fromSource: values['from-source'],
  log: (line) => process.stderr.write(`release: ${line}\n`),
});
const laps = Object.entries(r.seconds)
  .map(([k, s]) => `${k} ${s.toFixed(1)} s`)
  .join(', ');
process.stdout.write(`${r.file}\n`);
process.stderr.write(`release: done in ${((Date.now() - started) / 1000).toFixed(0)} s (${laps})\n`);
