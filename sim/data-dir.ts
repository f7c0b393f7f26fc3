// Where `npm run sim` keeps its state by default (relative to the folder it runs in), and the
// terminals in it: `klubkort status` and `forward` look there when no --data-dir is given.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const SIM_DATA_DIR = 'data/sim';

/** One data dir per simulated terminal (data/sim/{terminalId}); none when the folder is not there. */
export function simTerminalDirs(root = SIM_DATA_DIR): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, e.name));
  } catch {
    return [];
  }
}
