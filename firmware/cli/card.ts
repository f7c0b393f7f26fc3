// `klubkort card personalise`: the issuing desk turns a blank NTAG 424 DNA on the reader into a
// klubkort `sun` card (hal/ntag424/personalise.ts) with keys diversified from the club's master key,
// and prints the UID to register at the ledger. Nothing is written to a card it refuses.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  ApduError,
  MAX_SYSTEM_ID_BYTES,
  parseMasterKey,
  personalise,
  PersonaliseRefused,
  sunTemplate,
} from '../../hal/ntag424/index.ts';
import type { HeldCard, HoldRequest } from '../../hal/pi/reader/card-holder.ts';
import { systemTimers } from '../../lib/timers.ts';

export const CARD_USAGE = `usage: klubkort card personalise --master-key-file FILE --url URL [--system-id ID] [--reader NAME] [--wait SECONDS]
  Personalises the blank NTAG 424 DNA on the reader (factory keys) as a klubkort sun card:
  NDEF URI template URL?uid=…&ctr=…&cmac=…, SDM with plain UID and counter mirrors, and all five
  keys changed to ones diversified from the master key (AES-CMAC(master, 01 ‖ UID ‖ key no ‖ system id)).
  --master-key-file  32 hex digits (AES-128); only the issuing desk and the ledger hold it
  --url              where a phone reading the card lands, e.g. https://portal.example/k
  --system-id        the id the ledger diversifies with (default klubkort)
  --reader           part of the PC/SC reader's name (default: the first reader)
  --wait             seconds to wait for a card (default 30)
Refuses, writing nothing, a card that is not an NTAG 424 DNA, one already personalised, or one
whose key 0 is not the factory key.`;

export interface CardIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The card on the reader; the real one by default. */
  hold?: (o: HoldRequest) => Promise<HeldCard>;
}

const stdio: CardIo = {
  out: (l) => void process.stdout.write(l + '\n'),
  err: (l) => void process.stderr.write(l + '\n'),
};

/** Exit codes: 0 personalised, 1 card refused or failed, 64 usage, 66 key file unreadable, 69 no reader. */
export async function cardCommand(argv: string[], io: CardIo = stdio): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(CARD_USAGE);
    return 0;
  }
  if (sub !== 'personalise') {
    io.err(`klubkort card: ${sub === undefined ? 'no command' : `unknown command ${sub}`}\n${CARD_USAGE}`);
    return 64;
  }
  let values;
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        'master-key-file': { type: 'string' },
        url: { type: 'string' },
        'system-id': { type: 'string', default: 'klubkort' },
        reader: { type: 'string' },
        wait: { type: 'string', default: '30' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    io.err(`klubkort card personalise: ${(e as Error).message}`);
    return 64;
  }
  if (values.help) {
    io.out(CARD_USAGE);
    return 0;
  }
  const wait = z.coerce.number().positive().max(600).safeParse(values.wait);
  const systemId = values['system-id'];
  const usage = (m: string) => {
    io.err(`klubkort card personalise: ${m}`);
    return 64;
  };
  if (!values['master-key-file'])
    return usage('--master-key-file is required (the key is never given on the command line: it would show in ps)');
  if (!values.url) return usage('--url is required');
  if (!wait.success) return usage('--wait takes seconds (1–600)');
  if (Buffer.byteLength(systemId) < 1 || Buffer.byteLength(systemId) > MAX_SYSTEM_ID_BYTES)
    return usage(`--system-id is 1 to ${MAX_SYSTEM_ID_BYTES} bytes`);
  try {
    sunTemplate(values.url);
  } catch (e) {
    return usage((e as Error).message);
  }
  let masterKey: Buffer;
  try {
    masterKey = parseMasterKey(readFileSync(values['master-key-file'], 'utf8').trim());
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(
      `klubkort card personalise: ${code ? `cannot read ${values['master-key-file']} (${code})` : (e as Error).message}`,
    );
    return 66;
  }
  const hold = io.hold ?? (async (o) => (await import('../../hal/pi/reader/card-holder.ts')).holdCard(o));
  io.out(`hold the blank card on the reader (waiting ${wait.data} s)`);
  let card: HeldCard;
  try {
    card = await hold({ waitMs: wait.data * 1000, readerName: values.reader, timers: systemTimers });
  } catch (e) {
    io.err(`klubkort card personalise: ${(e as Error).message}`);
    return 69;
  }
  try {
    const done = await personalise(card.transmit, { masterKey, systemId, baseUrl: values.url });
    io.out(`personalised on ${card.reader}: UID ${done.uid}, SUN read back and verified (counter ${done.ctr})`);
    io.out(`register it at the ledger as a sun card, e.g.: klubkort ledger auth ${done.uid} sun`);
    return 0;
  } catch (e) {
    if (e instanceof PersonaliseRefused) io.err(`klubkort card personalise: refused: ${e.message}`);
    else if (e instanceof ApduError)
      io.err(
        `klubkort card personalise: the card stopped answering as expected (${e.message}); if this happened after the first write, do not issue the card`,
      );
    else io.err(`klubkort card personalise: ${(e as Error).message} (was the card pulled away?)`);
    return 1;
  } finally {
    card.release();
  }
}
