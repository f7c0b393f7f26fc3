// The config file on disk for provisioning: read what is there (to edit it), write atomically
// with mode 0600, and place the TLS files next to it, owned by the daemon's user.
import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errorCode } from '../../error-code.ts';

export class ConfigFileError extends Error {}

export type RawConfig = Record<string, unknown>;

/** The file's JSON object as written (defaults not filled in), or null when there is no file. */
export function readRawConfig(path: string): RawConfig | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigFileError(`cannot read ${path}: ${errorCode(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError(`${path} is not valid JSON (${(e as Error).message}): fix or remove it first`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigFileError(`${path} must hold a JSON object`);
  return json as RawConfig;
}

export interface Owner {
  uid: number;
  gid: number;
}

/** uid/gid of a local user from /etc/passwd, or null when there is none. */
export function lookupUser(name: string, passwd = '/etc/passwd'): Owner | null {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return null;
  }
  const f = text
    .split('\n')
    .map((l) => l.split(':'))
    .find((x) => x[0] === name);
  return f && f.length >= 4 ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
}

/**
 * Writes `data` to `path` so that a reader sees the old file or the new one, never half of one:
 * a temp file in the same directory, flushed, then renamed over it.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number, owner: Owner | null): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode); // the umask may have narrowed or the file existed
    if (owner) chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ConfigFileError(`cannot write ${path}: ${errorCode(e)}`);
  }
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

export function writeConfig(path: string, raw: RawConfig, owner: Owner | null): void {
  writeFileAtomic(path, JSON.stringify(raw, null, 2) + '\n', 0o600, owner);
}

/**
 * A TLS file from elsewhere (a USB stick, a home directory) is copied next to the config as `name`,
 * so the daemon's user can read it and ProtectHome= does not hide it; returns the path to use.
 */
export function placeNextToConfig(
  src: string,
  configPath: string,
  name: string,
  mode: number,
  owner: Owner | null,
): string {
  const dir = dirname(resolve(configPath));
  if (dirname(resolve(src)) === dir) {
    chmodSync(src, mode);
    if (owner) chownSync(src, owner.uid, owner.gid);
    return resolve(src);
  }
  const dest = join(dir, name);
  let bytes: Buffer;
  try {
    bytes = readFileSync(src);
  } catch (e) {
    throw new ConfigFileError(`cannot read ${src}: ${errorCode(e)}`);
  }
  writeFileAtomic(dest, bytes, mode, owner);
  return dest;
}
