// The reference ledger with the demo club in a process of its own, as the real ledger is never in
// the terminal's process: sharing one event loop and thread pool made each wait for the other.
// `node --import tsx bench/ledger-process.ts --broker URL --db PATH --log FILE --terminals ID,… [--topup UID:ØRE]`;
// prints "ready" once it serves, stops cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { startLedger } from '../sim/reference-ledger/ledger.ts';
import { demoClub, DEMO_CLUB_ID, DEMO_SUN_KEYS } from '../sim/demo-club.ts';
import { createLogger } from '../firmware/log.ts';

export interface LedgerProcess {
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the ledger process and resolves once it serves. */
/** `terminals`: the terminalIds registered with the demo club (the ledger declines any other's sales). */
export async function spawnLedger(o: {
  brokerUrl: string;
  dbPath: string;
  logFile: string;
  terminals: string[];
  topUp?: { uid: string; amount: number };
}): Promise<LedgerProcess> {
  const args = [
    fileURLToPath(import.meta.url),
    '--broker',
    o.brokerUrl,
    '--db',
    o.dbPath,
    '--log',
    o.logFile,
    '--terminals',
    o.terminals.join(','),
  ];
  if (o.topUp) args.push('--topup', `${o.topUp.uid}:${o.topUp.amount}`);
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`ledger process exited with ${code} before it served`)));
    createInterface({ input: proc.stdout }).on('line', (l) => {
      if (l === 'ready') resolve();
    });
  });
  return {
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      // A ledger still answering thousands of messages may take long to stop cleanly: not a figure.
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    },
  };
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      broker: { type: 'string' },
      db: { type: 'string' },
      log: { type: 'string' },
      terminals: { type: 'string' },
      topup: { type: 'string' },
    },
  });
  if (!v.broker || !v.db || !v.log || !v.terminals)
    throw new Error('--broker, --db, --log and --terminals are required');
  const ledger = await startLedger({
    brokerUrl: v.broker,
    dbPath: v.db,
    clubs: [demoClub(v.terminals.split(','))],
    sun: DEMO_SUN_KEYS,
    logger: createLogger({ level: 'info', destination: createWriteStream(v.log, { flags: 'a' }) }),
  });
  if (v.topup) {
    const [uid, amount] = v.topup.split(':');
    await ledger.topUp(DEMO_CLUB_ID, uid, Number(amount));
  }
  process.once(
    'SIGTERM',
    () =>
      void ledger.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      ),
  );
  process.stdout.write('ready\n');
}

// Run as its own source file only: bundled into the loop bench's child (bench/loop.ts), this module
// shares the bundle's URL with the child's entry, which is no call to serve a ledger.
const self = fileURLToPath(import.meta.url);
if (self.endsWith('ledger-process.ts') && process.argv[1] === self) await main();
