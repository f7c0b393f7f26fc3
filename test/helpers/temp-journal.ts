// A journal in a fresh temp dir, closed and removed when the test ends.
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../firmware/journal/journal.ts';

export async function tempJournal(t: ExecutionContext, name = 'journal'): Promise<{ j: Journal; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `klubkort-${name}-`));
  const j = await Journal.open(dir);
  t.teardown(async () => {
    await j.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return { j, dir };
}
