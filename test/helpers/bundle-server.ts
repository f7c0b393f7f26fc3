// The release bundle server of the update tests (test/fixtures/bundle-server.mjs) in a process of its
// own: HTTPS with a certificate of the test CA (make-ca.sh's broker.crt), serving the files named,
// every request logged, and the announcement of a bundle as `klubkort fleet update` would publish it.
import type { ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { UpdateAnnouncement } from '../../contract/index.ts';
import { until } from './until.ts';

const SERVER = join(process.cwd(), 'test/fixtures/bundle-server.mjs');

export interface BundleServer {
  port: number;
  /** The file's URL; `at`: how the terminal reaches the server (host:port), if not 127.0.0.1 and its port (a VM's forward). */
  url: (file: string, at?: string) => string;
  /** Serves one more file. */
  add: (file: string) => void;
  requests: () => { path: string; range: string | null; status: number; from?: number; cutAt?: number }[];
}

/**
 * The server on a free port, serving `files` (more with `add`), until the test ends; `cut`: the first
 * whole answer of each file stops after that many bytes. `pki`: make-ca.sh's directory.
 */
export async function serveBundles(
  t: ExecutionContext,
  o: { base: string; pki: string; files?: string[]; cut?: number },
): Promise<BundleServer> {
  const dir = mkdtempSync(join(o.base, 'srv-'));
  const add = (f: string) => symlinkSync(f, join(dir, basename(f)));
  for (const f of o.files ?? []) add(f);
  const portFile = join(dir, 'port');
  const log = join(dir, 'requests.log');
  const proc = spawn(
    process.execPath,
    [
      SERVER,
      '--dir',
      dir,
      '--cert',
      join(o.pki, 'broker.crt'),
      '--key',
      join(o.pki, 'broker.key'),
      '--port-file',
      portFile,
      '--log',
      log,
      ...(o.cut ? ['--cut', String(o.cut)] : []),
    ],
    { stdio: 'inherit' },
  );
  t.teardown(() => {
    proc.kill();
  });
  const port = Number(
    await until(() => existsSync(portFile) && readFileSync(portFile, 'utf8'), 'the bundle server', 10_000),
  );
  return {
    port,
    url: (file, at = `127.0.0.1:${port}`) => `https://${at}/${basename(file)}`,
    add,
    requests: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [],
  };
}

/** The retained announcement of `file` (its version from the bundle's manifest) at `url`. */
export function announcement(file: string, url: string): UpdateAnnouncement {
  const bytes = readFileSync(file);
  return {
    version: (JSON.parse(spawnSync('tar', ['-xzOf', file, 'manifest.json']).stdout.toString()) as { version: string })
      .version,
    url,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
  };
}
