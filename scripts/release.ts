// `npm run release -- --arch arm64|x64 [--key FILE] [--out DIR] [--version V] [--from-source]`:
// a signed release bundle (scripts/release-build.ts; docs/deploy.md, "Releases").
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Arch } from '../firmware/release/manifest.ts';
import { writeReleaseKey } from '../firmware/release/signing.ts';
import { buildRelease, PROJECT } from './release-build.ts';

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

/**
 * The signing key: --key, else KLUBKORT_RELEASE_KEY, else a development key made once in
 * release/dev-key/ (gitignored), which only terminals told to trust it accept.
 */
function keyFile(): string {
  const given = values.key ?? process.env.KLUBKORT_RELEASE_KEY;
  if (given) return given;
  const dir = join(values.out, 'dev-key');
  const existing = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.key')) : undefined;
  const file = existing ? join(dir, existing) : writeReleaseKey(dir).privateFile;
  process.stderr.write(
    `release: no --key: signing with the development key ${file}; terminals accept it only with its .pub in /etc/klubkort/release-keys/\n`,
  );
  return file;
}

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
