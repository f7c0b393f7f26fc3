// Release keys and manifest.sig: Ed25519 (node:crypto). The private key signs bundles on the
// release machine and never goes on a terminal; a terminal trusts every public key in its
// release-keys directory (more than one while a key is being rotated).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parsePayload } from '../../contract/index.ts';

export const RELEASE_KEYS_DIR = '/etc/klubkort/release-keys';
export const PUBLIC_KEY_SUFFIX = '.pub';

/** A key's id: the start of the SHA-256 of its public key (SPKI DER); it names the files. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export const SignatureFile = z.object({
  alg: z.literal('ed25519'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, '64 bytes of base64'),
});
export type SignatureFile = z.infer<typeof SignatureFile>;

/** manifest.sig for the manifest's exact bytes. */
export function signManifest(manifest: Buffer, privateKeyPem: string): Buffer {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error('a release key is an Ed25519 private key (klubkort release keygen)');
  const body: SignatureFile = {
    alg: 'ed25519',
    keyId: keyIdOf(key),
    sig: sign(null, manifest, key).toString('base64'),
  };
  return Buffer.from(JSON.stringify(body) + '\n');
}

export type SignatureCheck =
  | { ok: true; keyId: string }
  | { ok: false; reason: 'signature' | 'unknown_key'; message: string };

export function verifyManifest(
  manifest: Buffer,
  sigFile: Buffer,
  trusted: ReadonlyMap<string, KeyObject>,
): SignatureCheck {
  const parsed = parsePayload(SignatureFile, sigFile);
  if (!parsed.ok)
    return { ok: false, reason: 'signature', message: `manifest.sig is not a signature: ${parsed.error}` };
  const key = trusted.get(parsed.value.keyId);
  if (!key) {
    return {
      ok: false,
      reason: 'unknown_key',
      message: `signed with release key ${parsed.value.keyId}, which this terminal does not trust (${trusted.size} trusted: ${[...trusted.keys()].join(', ') || 'none'})`,
    };
  }
  if (!verify(null, manifest, key, Buffer.from(parsed.value.sig, 'base64'))) {
    return {
      ok: false,
      reason: 'signature',
      message: `the signature of release key ${parsed.value.keyId} does not match the manifest`,
    };
  }
  return { ok: true, keyId: parsed.value.keyId };
}

/**
 * Every `*.pub` in `dir`: Ed25519 public keys in PEM. A file that is not one is named in `problems`
 * and left out; so is a private key put there by mistake (it must not live on a terminal).
 */
export function loadTrustedKeys(dir: string): { keys: Map<string, KeyObject>; problems: string[] } {
  const keys = new Map<string, KeyObject>();
  const problems: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(PUBLIC_KEY_SUFFIX))
      .sort();
  } catch (e) {
    return { keys, problems: [`cannot read ${dir}: ${(e as Error).message}`] };
  }
  for (const name of names) {
    const file = join(dir, name);
    try {
      const pem = readFileSync(file, 'utf8');
      if (pem.includes('PRIVATE KEY')) {
        problems.push(`${file} is a private key: left out (a terminal holds public keys only)`);
        continue;
      }
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') {
        problems.push(`${file} is not an Ed25519 key`);
        continue;
      }
      keys.set(keyIdOf(key), key);
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
    }
  }
  return { keys, problems };
}

/**
 * A new release key in `outDir`: `klubkort-release-<id>.key` (the private key, mode 0600, created
 * only if new) and `klubkort-release-<id>.pub` (for /etc/klubkort/release-keys/ on terminals).
 */
export function writeReleaseKey(outDir: string): { keyId: string; privateFile: string; publicFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyId = keyIdOf(publicKey);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const base = join(outDir, `klubkort-release-${keyId}`);
  const privateFile = `${base}.key`;
  const publicFile = `${base}${PUBLIC_KEY_SUFFIX}`;
  writeNew(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  writeNew(publicFile, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  return { keyId, privateFile, publicFile };
}

/** Creates `path` with `mode` from the start (never a moment world-readable) and fsyncs it. */
function writeNew(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    fchmodSync(fd, mode); // whatever the umask
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
