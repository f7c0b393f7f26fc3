// A card that never answers, in a process of its own: `node --import tsx vpcd-hung-card.ts PORT MS`
// puts it on the virtual reader, and after MS takes it away and exits. In the test's own process
// it could not: @pokusew/pcsclite holds a reader's mutex through a hung SCardTransmit, and a status
// event arriving meanwhile blocks the event loop on that mutex, so the card's own socket (and the
// test's hand that would remove it) froze with it. A real hung reader sits outside the daemon too.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VirtualCard } from './vpcd-card.ts';

/** Starts the hung card; resolves once it is on the reader, with a promise of it gone again. */
export function hungCardFor(port: number, ms: number): Promise<{ gone: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(port), String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve({ gone }));
    child.once('exit', (code) => reject(new Error(`the hung card exited (${code}) before it was on the reader`)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port, ms] = process.argv.slice(2).map(Number);
  const card = new VirtualCard(port!, () => new Promise<Buffer>(() => undefined));
  await card.insert();
  process.stdout.write('inserted\n');
  setTimeout(() => {
    card.remove();
    process.exit(0);
  }, ms);
}
