// The release signing key: --key, else KLUBKORT_RELEASE_KEY, else a development key made once in
// <out>/dev-key/ (gitignored), which only terminals told to trust it accept.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeReleaseKey } from '../firmware/release/signing.ts';

export function releaseKeyFile(given: string | undefined, outDir: string, log: (line: string) => void): string {
  const file = given ?? process.env.KLUBKORT_RELEASE_KEY;
  if (file) return file;
  const dir = join(outDir, 'dev-key');
  const existing = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.key')) : undefined;
  const made = existing ? join(dir, existing) : writeReleaseKey(dir).privateFile;
  log(
    `no --key: signing with the development key ${made}; terminals accept it only with its .pub in /etc/klubkort/release-keys/`,
  );
  return made;
}
