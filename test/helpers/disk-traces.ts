// A byte scan of a data dir: which byte patterns of a closed card (its name, UID, photo…) still
// occur in any file under it (the journal, its WAL and shared memory, logs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Which of `needles` occur in any file under `dir`, by file. */
export function traces(dir: string, needles: Record<string, Buffer>): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const [what, needle] of Object.entries(needles))
      if (bytes.includes(needle)) found.push(`${what} in ${file.slice(dir.length + 1)}`);
  }
  return found;
}
