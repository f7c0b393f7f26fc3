// install.sh --bundle on a terminal with no release yet: before any of the bundle's code runs (its
// own `klubkort update` then installs it), the unpacked bundle is checked here, with node:crypto
// only: manifest.sig by a key in the release-keys directory, and every file's size and SHA-256
// against the manifest, nothing more and nothing less. (firmware/release/ does the same inside a
// release; this copy exists because no release is there yet to run it.)
//   node verify-unpacked.mjs DIR KEYS_DIR     exit 0: verified; 65: refused, with one line why
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, keysDir] = process.argv.slice(2);
const refuse = (why) => {
  process.stderr.write(`verify-unpacked: refused: ${why}\n`);
  process.exit(65);
};
const keyId = (k) =>
  createHash('sha256')
    .update(k.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

let keys;
try {
  keys = new Map(
    readdirSync(keysDir)
      .filter((n) => n.endsWith('.pub'))
      .map((n) => {
        const k = createPublicKey(readFileSync(join(keysDir, n)));
        return [keyId(k), k];
      }),
  );
} catch (e) {
  refuse(`cannot read the release keys in ${keysDir}: ${e.message}`);
}
let manifestBytes, sig, manifest;
try {
  manifestBytes = readFileSync(join(dir, 'manifest.json'));
  sig = JSON.parse(readFileSync(join(dir, 'manifest.sig'), 'utf8'));
  manifest = JSON.parse(manifestBytes.toString('utf8'));
} catch (e) {
  refuse(`no readable manifest.json and manifest.sig: ${e.message}`);
}
const key = keys.get(sig.keyId);
if (!key) refuse(`signed with release key ${sig.keyId}, which is not in ${keysDir}`);
if (sig.alg !== 'ed25519' || !verify(null, manifestBytes, key, Buffer.from(String(sig.sig), 'base64')))
  refuse('the signature does not match the manifest');

const want = new Map(manifest.files.map((f) => [f.path, f]));
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
for (const file of walk(dir)) {
  const path = relative(dir, file);
  if (path === 'manifest.json' || path === 'manifest.sig') continue;
  const f = want.get(path);
  if (!f) refuse(`${path} is not in the manifest`);
  want.delete(path);
  if (!statSync(file).isFile()) refuse(`${path} is not a regular file`);
  const data = readFileSync(file);
  if (data.length !== f.size || createHash('sha256').update(data).digest('hex') !== f.sha256)
    refuse(`${path} does not match the manifest`);
}
if (want.size > 0) refuse(`${[...want.keys()][0]} (and ${want.size - 1} more) missing`);
