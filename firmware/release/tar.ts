// The bundle's tar format: ustar regular files only (and a pax `path` record for a path longer than
// ustar holds), written by the release builder and read here as a stream, never by a tar program:
// what is read is only ever handed to the verifier or written where the installer says.
const BLOCK = 512;

export interface TarFile {
  path: string;
  mode: number;
  mtime: number;
  data: Buffer;
}

/** A ustar header for a regular file (`type` '0') or a pax extended header ('x'). */
function header(name: string, size: number, mode: number, mtime: number, type: '0' | 'x', prefix = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  const octal = (v: number, width: number, at: number) =>
    h.write(v.toString(8).padStart(width - 1, '0') + '\0', at, width, 'ascii');
  h.write(name, 0, 100, 'utf8');
  octal(mode, 8, 100);
  octal(0, 8, 108);
  octal(0, 8, 116);
  octal(size, 12, 124);
  octal(Math.floor(mtime), 12, 136);
  h.write('        ', 148, 8, 'ascii');
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0' + '00', 257, 8, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** ustar's name/prefix split of a path, or null when it needs a pax record. */
function ustarName(path: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i),
      name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return null;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

/** The tar stream's pieces for `files`, in order, with the end-of-archive blocks. */
export function tarPieces(files: readonly TarFile[]): Buffer[] {
  const out: Buffer[] = [];
  for (const f of files) {
    const n = ustarName(f.path);
    if (n) {
      out.push(header(n.name, f.data.length, f.mode, f.mtime, '0', n.prefix));
    } else {
      const pax = paxRecord('path', f.path);
      out.push(header('PaxHeader', pax.length, 0o644, f.mtime, 'x'), pax, pad(pax.length));
      out.push(header(f.path.slice(-100), f.data.length, f.mode, f.mtime, '0'));
    }
    out.push(f.data, pad(f.data.length));
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return out;
}

export class TarError extends Error {}

/** Reads exact amounts from a stream of chunks. */
class ByteReader {
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  async #more(): Promise<boolean> {
    if (this.#done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.#done = true;
      return false;
    }
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, r.value]) : r.value;
    return true;
  }

  /** `n` bytes, or null at the end of the stream before any of them. */
  async exactly(n: number): Promise<Buffer | null> {
    while (this.#buf.length < n) {
      if (!(await this.#more())) {
        if (this.#buf.length === 0) return null;
        throw new TarError('the archive ends in the middle of an entry');
      }
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** The next `n` bytes, in the chunks they come in. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.#more()))
        throw new TarError('the archive ends in the middle of an entry');
      const piece = this.#buf.subarray(0, Math.min(left, this.#buf.length));
      this.#buf = this.#buf.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}

export interface TarEntry {
  path: string;
  size: number;
  mode: number;
  /** The entry's bytes; what is not read is skipped when the next entry is asked for. */
  body(): AsyncGenerator<Buffer>;
}

const field = (h: Buffer, at: number, len: number): string => {
  const raw = h.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
};

function octalField(h: Buffer, at: number, len: number, what: string): number {
  const s = field(h, at, len).trim();
  if (!/^[0-7]{1,12}$/.test(s)) throw new TarError(`bad ${what} field in a tar header`);
  return Number.parseInt(s, 8);
}

/** The regular files of a tar stream, in order; anything else in it (links, devices, globals) is an error. */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source[Symbol.asyncIterator]());
  let paxPath: string | null = null;
  for (;;) {
    const h = await r.exactly(BLOCK);
    if (h === null) throw new TarError('the archive has no end marker');
    if (h.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== octalField(h, 148, 8, 'checksum')) throw new TarError('a tar header checksum does not match');
    const size = octalField(h, 124, 12, 'size');
    const type = String.fromCharCode(h[156]);
    if (type === 'x') {
      if (size > 64 * 1024) throw new TarError('a pax header is too large');
      const data = await r.exactly(size + pad(size).length);
      if (!data) throw new TarError('the archive ends in a pax header');
      paxPath = parsePax(data.subarray(0, size)).get('path') ?? null;
      continue;
    }
    if (type !== '0' && type !== '\0')
      throw new TarError(`the archive holds an entry of type '${type}' (only regular files belong in a bundle)`);
    const prefix = field(h, 345, 155);
    const path = paxPath ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    paxPath = null;
    let read = 0;
    const body = async function* (): AsyncGenerator<Buffer> {
      for await (const piece of r.take(size - read)) {
        read += piece.length;
        yield piece;
      }
    };
    yield { path, size, mode: octalField(h, 100, 8, 'mode') & 0o7777, body };
    // Whatever the consumer left unread, then the padding.
    for await (const piece of r.take(size - read)) read += piece.length;
    for await (const _ of r.take(pad(size).length)) {
      /* padding */
    }
  }
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(0x20, at);
    const len = Number.parseInt(data.subarray(at, sp).toString('ascii'), 10);
    if (sp < 0 || !Number.isSafeInteger(len) || len <= 0 || at + len > data.length)
      throw new TarError('a pax record is malformed');
    const rec = data.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    at += len;
  }
  return out;
}
