// `klubkort release keygen --out DIR`: a new release signing key, for the release machine only.
// The private key is written with mode 0600 and never printed; terminals get the public key.
import { parseArgs } from 'node:util';
import { RELEASE_KEYS_DIR, writeReleaseKey } from '../release/signing.ts';
import { HELP } from './help.ts';

export async function releaseCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'keygen') {
    process.stderr.write(`klubkort release: unknown command ${sub ?? '(none)'}\n${HELP.release}\n`);
    return 64;
  }
  let out: string | undefined;
  try {
    out = parseArgs({ args: rest, strict: true, options: { out: { type: 'string' } } }).values.out;
  } catch (e) {
    process.stderr.write(`klubkort release keygen: ${(e as Error).message}\n${HELP.release}\n`);
    return 64;
  }
  if (!out) {
    process.stderr.write(`klubkort release keygen: --out DIR is needed\n${HELP.release}\n`);
    return 64;
  }
  try {
    const k = writeReleaseKey(out);
    process.stdout.write(
      `release key ${k.keyId}\n` +
        `  private: ${k.privateFile} (mode 0600): signs bundles (npm run release -- --key FILE); keep it on the release machine only\n` +
        `  public:  ${k.publicFile}: copy it to ${RELEASE_KEYS_DIR}/ on every terminal\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`klubkort release keygen: ${(e as Error).message}\n`);
    return 73;
  }
}
