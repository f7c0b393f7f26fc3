// Fetches an announced release bundle over HTTPS (the broker's CA from the config), resuming a
// broken download: the partial file stays (`<file>.part`) and the next attempt asks only for the
// rest (HTTP Range). The whole file must then have the announced size and SHA-256 before it is
// renamed to `<file>`; what the bundle is worth is decided afterwards by its signed manifest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, statfs, truncate } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { dirname } from 'node:path';
import { syncDir } from '../release/bundle.ts';

export class DownloadError extends Error {
  override name = 'DownloadError';
  /** `permanent`: the bytes are not the announced ones; fetching them again would not help. */
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface DownloadSpec {
  url: string;
  size: number;
  sha256: string;
  /** Where the complete, checked bundle goes; `<file>.part` holds a download in progress. */
  file: string;
  /** The CA to trust (the broker's); undefined: the system's. */
  ca?: Buffer;
  /** No byte for this long ends the attempt (Node's socket timeout: monotonic). */
  idleMs?: number;
  /** Room left on the data dir's file system after the download (the journal of sales lives there). */
  reserveBytes?: number;
  signal?: AbortSignal;
}

export interface DownloadOutcome {
  /** The byte the transfer began at: > 0 when a broken download was resumed. */
  from: number;
  /** Bytes fetched by this attempt (0: the bundle was there already). */
  fetched: number;
}

const DEFAULT_IDLE_MS = 30_000;
/** The journal must keep room to write sales whatever the download takes. */
const DEFAULT_RESERVE = 64 * 1024 * 1024;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function get(spec: DownloadSpec, from: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      spec.url,
      {
        method: 'GET',
        ca: spec.ca,
        rejectUnauthorized: true,
        signal: spec.signal,
        timeout: spec.idleMs ?? DEFAULT_IDLE_MS,
        headers: from > 0 ? { Range: `bytes=${from}-` } : {},
      },
      resolve,
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer for ${Math.round((spec.idleMs ?? DEFAULT_IDLE_MS) / 1000)} s`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Where the response's body starts, or why it cannot be used. */
function startOf(res: IncomingMessage, from: number, size: number): number {
  if (res.statusCode === 200) return 0; // the server sends the whole file: start again
  if (res.statusCode === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (!m || Number(m[1]) !== from)
      throw new DownloadError(
        `the server answered the range from byte ${from} with ${res.headers['content-range'] ?? 'no Content-Range'}`,
        false,
      );
    if (m[3] !== '*' && Number(m[3]) !== size)
      throw new DownloadError(`the server's file is ${m[3]} bytes, the announcement says ${size}`, true);
    return from;
  }
  throw new DownloadError(`the server answered HTTP ${res.statusCode ?? '?'}`, false);
}

/** Downloads (or finishes downloading) the bundle into spec.file. */
export async function downloadBundle(spec: DownloadSpec): Promise<DownloadOutcome> {
  const part = `${spec.file}.part`;
  if ((await sizeOf(spec.file)) === spec.size && (await sha256Of(spec.file)) === spec.sha256)
    return { from: spec.size, fetched: 0 };
  await rm(spec.file, { force: true });
  let have = await sizeOf(part);
  if (have > spec.size) {
    await truncate(part, 0);
    have = 0;
  }
  let fetched = 0;
  let from = have;
  if (have < spec.size) {
    const fs = await statfs(dirname(part));
    const free = fs.bavail * fs.bsize;
    const reserve = spec.reserveBytes ?? DEFAULT_RESERVE;
    if (free - (spec.size - have) < reserve) {
      throw new DownloadError(
        `not enough room in ${dirname(part)}: ${spec.size - have} bytes to fetch, ${free} free, ${reserve} kept for the journal`,
        false,
      );
    }
    const res = await get(spec, have);
    try {
      from = startOf(res, have, spec.size);
    } catch (e) {
      res.destroy();
      if (res.statusCode === 416) await truncate(part, 0); // the partial file is not a start of this one
      throw e;
    }
    const fh = await open(part, from === 0 ? 'w' : 'a', 0o600);
    have = from;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (have + chunk.length > spec.size) {
          await fh.truncate(0);
          throw new DownloadError(`the server sends more than the announced ${spec.size} bytes`, true);
        }
        for (let at = 0; at < chunk.length; ) at += (await fh.write(chunk, at)).bytesWritten;
        have += chunk.length;
        fetched += chunk.length;
      }
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(
        `the connection ended after ${have} of ${spec.size} bytes (${(e as Error).message}); kept for resuming`,
        false,
      );
    } finally {
      await fh.sync().catch(() => undefined);
      await fh.close();
    }
    if (have < spec.size)
      throw new DownloadError(`the connection ended after ${have} of ${spec.size} bytes; kept for resuming`, false);
  }
  if ((await sha256Of(part)) !== spec.sha256) {
    await rm(part, { force: true });
    throw new DownloadError('the downloaded bundle does not have the announced SHA-256', true);
  }
  await rename(part, spec.file);
  await syncDir(dirname(spec.file));
  return { from, fetched };
}
