// A terminal's journal applying a roster, killed with SIGKILL by itself once `--chunks` of its
// erasure's transactions have committed: a power cut in the middle of a roster's erasure, at a
// point the test knows. `node --import tsx roster-kill-child.ts <dataDir> <roster.json> <chunks>`.
import { readFileSync } from 'node:fs';
import { Journal } from '../../firmware/journal/journal.ts';

const [dir, rosterFile, chunks] = process.argv.slice(2);
const j = await Journal.open(dir!);
let committed = 0;
await j.cards.applyRoster(JSON.parse(readFileSync(rosterFile!, 'utf8')), () => {
  if (++committed === Number(chunks)) process.kill(process.pid, 'SIGKILL');
});
// Not reached when the erasure is chunked: the whole erasure ran without a kill.
await j.close();
