// Photos prepared ahead for the screen (migration 7): the encoded sixel or scaled pixels per photo,
// output and size, so that a tap reads one row instead of decoding and encoding (~200 ms of CPU at
// a quarter of a Pi's core). The rows are the photo's own data: a trigger deletes them with the
// photo's row, and a row is only written while its photo is stored.
import type { Db } from './db.ts';
import type { PreparedPhoto, PreparedPhotoStore } from '../../hal/types.ts';

interface PreparedRow {
  width: number;
  height: number;
  src_width: number;
  src_height: number;
  bytes: Buffer;
}

export class PreparedPhotos implements PreparedPhotoStore {
  readonly #stored = new Set<() => void>();

  constructor(private readonly db: Db) {}

  async get(sha: string, output: string): Promise<PreparedPhoto[]> {
    const rows = await this.db.read((q) =>
      q.all<PreparedRow>(
        'SELECT width, height, src_width, src_height, bytes FROM photo_prepared WHERE sha = ? AND output = ?',
        [sha, output],
      ),
    );
    return rows.map((r) => ({
      width: r.width,
      height: r.height,
      srcWidth: r.src_width,
      srcHeight: r.src_height,
      bytes: r.bytes,
    }));
  }

  async put(sha: string, output: string, p: PreparedPhoto): Promise<boolean> {
    // A photo erased while it was being prepared leaves nothing of it here.
    const r = await this.db.writeOne(
      `INSERT OR REPLACE INTO photo_prepared (sha, output, width, height, src_width, src_height, bytes)
       SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM photos WHERE sha = ?)`,
      [sha, output, p.width, p.height, p.srcWidth, p.srcHeight, p.bytes, sha],
    );
    return r.changes > 0;
  }

  async unprepared(output: string, after: string, limit: number): Promise<string[]> {
    const rows = await this.db.read((q) =>
      q.all<{ sha: string }>(
        `SELECT sha FROM photos p WHERE sha > ?
           AND NOT EXISTS (SELECT 1 FROM photo_prepared x WHERE x.sha = p.sha AND x.output = ?)
         ORDER BY sha LIMIT ?`,
        [after, output, limit],
      ),
    );
    return rows.map((r) => r.sha);
  }

  async prune(output: string): Promise<void> {
    await this.db.tx(async (q) => {
      if ((await q.run('DELETE FROM photo_prepared WHERE output != ?', [output])).changes > 0) q.erased();
    });
  }

  onStored(fn: () => void): void {
    this.#stored.add(fn);
  }

  /** The card cache stored photos: whoever prepares them hears of it. */
  stored(): void {
    for (const fn of this.#stored) fn();
  }
}

/**
 * A store for the display, which starts before the journal is reachable (inside Terminal.start):
 * empty until `open` hands it the journal's, which then tells the listeners it was given (they
 * look for photos to prepare at once).
 */
export function storeOnceOpen(): PreparedPhotoStore & { open(store: PreparedPhotoStore): void } {
  let to: PreparedPhotoStore | null = null;
  const listeners: (() => void)[] = [];
  return {
    get: (sha, output) => (to ? to.get(sha, output) : Promise.resolve([])),
    put: (sha, output, p) => (to ? to.put(sha, output, p) : Promise.resolve(false)),
    unprepared: (output, after, limit) => (to ? to.unprepared(output, after, limit) : Promise.resolve([])),
    prune: (output) => (to ? to.prune(output) : Promise.resolve()),
    onStored: (fn) => {
      if (to) to.onStored(fn);
      else listeners.push(fn);
    },
    open(store) {
      to = store;
      for (const fn of listeners.splice(0)) {
        store.onStored(fn);
        fn();
      }
    },
  };
}
