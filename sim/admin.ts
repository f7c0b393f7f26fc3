// `klubkort ledger …`: a person plays the parents' portal against a running simulator by sending
// admin commands to its reference ledger over MQTT.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { z } from 'zod';
import { CardRecord, CardUid, StaffRecord, StaffRole } from '../contract/index.ts';
import { DEMO_CLUB_ID } from './demo-club.ts';
import { ADMIN_REPLY_TOPIC, ADMIN_TOPIC, AdminReply, type AdminCommand } from './reference-ledger/admin-protocol.ts';

export const USAGE = `usage: klubkort ledger [--broker URL] [--club ID] <command>
The parents' portal and the club office of the simulator's reference ledger.

Cards (parents' portal):
  topup <uid> <kr>                      add money, e.g. 50 or 12,50
  block <uid>                           block a card
  unblock <uid>                         unblock a card
  close <uid>                           close a card (its terminals erase it)
  list                                  the club's cards, with their rules
  auth <uid> sun|uid                    a genuine NTAG 424 DNA card (after klubkort card personalise), or back to a UID card
Parents' rules (contract 1.1):
  limit <uid> <kr>|none                 daily spending limit, e.g. 30; none clears it
  block-category <uid> <category>       refuse items of that catalog category (e.g. slik)
  unblock-category <uid> <category>     allow it again
  note <uid> <text…>|none               note for the cashier (at most 200 characters, e.g. an allergy)
Terminals (club office; the ledger declines every sale of a terminal not registered with the club):
  terminal-add <terminalId>             register a terminal with the club, e.g. kasse-2
  terminals                             the club's terminals
Staff cards (club office):
  staff-add <uid> <staffId> cashier|lead <name…>   a card that signs a cashier in and out
  staff-remove <uid>                    remove it (its terminals erase it)
  staff                                 the club's staff cards

Options: --broker mqtt://127.0.0.1:1883 (the simulator's broker), --club ${DEMO_CLUB_ID}, --help`;

const REPLY_TIMEOUT_MS = 5000;
const LIST_HINT = "klubkort ledger list and staff show the club's cards";

/** A terminal as `terminal-add` and `terminals` answer it. */
const TerminalRow = z.object({ terminalId: z.string(), clubId: z.string() });

export interface AdminIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: AdminIo = {
  out: (l) => void process.stdout.write(l + '\n'),
  err: (l) => void process.stderr.write(l + '\n'),
};

/** "50", "12,50" or "12.5" kroner → øre; null if it is not a positive amount (or 0 with `zero`) with at most 2 decimals. */
export function parseKroner(text: string, zero = false): number | null {
  const m = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const ore = Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
  return ore > 0 || (zero && ore === 0) ? ore : null;
}

export function formatKroner(ore: number): string {
  const sign = ore < 0 ? '-' : '';
  const abs = Math.abs(ore);
  return `${sign}${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')} kr`;
}

function rulesText(c: CardRecord): string {
  const r = c.rules;
  const parts = [
    r?.dailyLimit != null ? `limit ${formatKroner(r.dailyLimit)}/day` : '',
    r?.blockedCategories?.length ? `blocked: ${r.blockedCategories.join(',')}` : '',
    c.spent ? `spent ${c.spent.day} ${formatKroner(c.spent.total)}` : '',
    r?.note ? `note: ${r.note}` : '',
  ].filter(Boolean);
  return parts.length ? `  [${parts.join('; ')}]` : '';
}

const cardLine = (c: CardRecord) =>
  `${c.cardUid.padEnd(14)}  ${formatKroner(c.balance).padStart(12)}  ${c.status.padEnd(7)}  v${c.version}${c.auth === 'sun' ? `  sun(${c.sunCounter ?? 0})` : ''}  ${c.name}${rulesText(c)}`;
const staffLine = (s: StaffRecord) =>
  `${s.cardUid.padEnd(14)}  ${s.role.padEnd(7)}  ${s.staffId.padEnd(12)}  v${s.version}  ${s.name}`;

/** Builds the command from the arguments, or returns the usage error. */
function commandFrom(positionals: string[], clubId: string): Omit<AdminCommand, 'id'> | string {
  const [cmd, rawUid, ...rest] = positionals;
  if (cmd === 'terminal-add')
    return rawUid !== undefined && rest.length === 0
      ? { cmd, clubId, terminalId: rawUid }
      : 'terminal-add takes one <terminalId>';
  if (cmd === 'terminals')
    return rawUid === undefined ? { cmd: 'terminal-list', clubId } : 'terminals takes no arguments';
  const uid = rawUid?.toUpperCase();
  switch (cmd) {
    case 'limit': {
      if (uid === undefined || rest.length !== 1) return 'limit takes <uid> <kr>|none';
      const ore = rest[0] === 'none' ? null : parseKroner(rest[0], true);
      return ore === null && rest[0] !== 'none'
        ? `not an amount of kroner: ${rest[0]}`
        : { cmd: 'rules', clubId, uid, rules: { dailyLimit: ore } };
    }
    case 'block-category':
    case 'unblock-category':
      if (uid === undefined || rest.length !== 1) return `${cmd} takes <uid> <category>`;
      return {
        cmd: 'rules',
        clubId,
        uid,
        rules: cmd === 'block-category' ? { block: [rest[0]] } : { unblock: [rest[0]] },
      };
    case 'note': {
      if (uid === undefined || rest.length === 0) return 'note takes <uid> <text…>|none';
      const note = rest.join(' ');
      return { cmd: 'rules', clubId, uid, rules: { note: note === 'none' ? null : note } };
    }
    case 'staff-add': {
      const [staffId, role, ...name] = rest;
      const r = StaffRole.safeParse(role);
      if (uid === undefined || staffId === undefined || !r.success || name.length === 0)
        return 'staff-add takes <uid> <staffId> cashier|lead <name…>';
      return { cmd, clubId, uid, staff: { staffId, role: r.data, name: name.join(' ') } };
    }
    case 'staff-remove':
      return uid !== undefined && rest.length === 0 ? { cmd, clubId, uid } : 'staff-remove takes one <uid>';
    case 'auth':
      return uid !== undefined && rest.length === 1 && (rest[0] === 'sun' || rest[0] === 'uid')
        ? { cmd, clubId, uid, auth: rest[0] }
        : 'auth takes <uid> sun|uid';
    case 'staff':
      return uid === undefined ? { cmd: 'staff-list', clubId } : 'staff takes no arguments';
    default: // the commands below
  }
  const [amount, ...extra] = rest;
  if (extra.length > 0) return 'too many arguments';
  switch (cmd) {
    case 'list':
      return uid === undefined ? { cmd, clubId } : 'list takes no arguments';
    case 'block':
    case 'unblock':
    case 'close':
      return uid !== undefined && amount === undefined ? { cmd, clubId, uid } : `${cmd} takes one <uid>`;
    case 'topup': {
      if (uid === undefined || amount === undefined) return 'topup takes <uid> <kr>';
      const ore = parseKroner(amount);
      return ore === null ? `not an amount of kroner: ${amount}` : { cmd, clubId, uid, amount: ore };
    }
    default:
      return cmd === undefined ? 'no command' : `unknown command: ${cmd}`;
  }
}

/** Sends one command and waits for its reply. */
async function send(brokerUrl: string, command: AdminCommand): Promise<AdminReply> {
  const client = await mqtt.connectAsync(brokerUrl, {
    clientId: `klubkort-admin-${command.id.slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: REPLY_TIMEOUT_MS,
  });
  try {
    const reply = new Promise<AdminReply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('no reply from the ledger (is the simulator running?)')),
        REPLY_TIMEOUT_MS,
      );
      client.on('message', (_topic, payload) => {
        let r: ReturnType<typeof AdminReply.safeParse>;
        try {
          r = AdminReply.safeParse(JSON.parse(payload.toString('utf8')));
        } catch {
          return;
        }
        if (r.success && r.data.id === command.id) {
          clearTimeout(timer);
          resolve(r.data);
        }
      });
    });
    await client.subscribeAsync(ADMIN_REPLY_TOPIC, { qos: 1 });
    await client.publishAsync(ADMIN_TOPIC, JSON.stringify(command), { qos: 1 });
    return await reply;
  } finally {
    await client.endAsync();
  }
}

/** The CLI: prints the ledger's reply and returns the exit code (0 done, 1 refused or failed). */
export async function runAdmin(argv: string[], io: AdminIo = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        broker: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
        club: { type: 'string', default: DEMO_CLUB_ID },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  if (parsed.values.help || parsed.positionals[0] === 'help') {
    io.out(USAGE);
    return 0;
  }
  const command = commandFrom(parsed.positionals, parsed.values.club);
  if (typeof command === 'string') {
    io.err(`${command}\n${USAGE}`);
    return 1;
  }
  if (command.uid !== undefined && !CardUid.safeParse(command.uid).success) {
    io.err(
      `not a card UID: ${parsed.positionals[1]} (a UID is 8, 14 or 20 hex digits, e.g. 04A23B5C7D2E80; ${LIST_HINT})`,
    );
    return 1;
  }
  const broker = parsed.values.broker;
  let reply: AdminReply;
  try {
    reply = await send(broker, { id: randomUUID(), ...command });
  } catch (e) {
    const refused = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    io.err(
      refused
        ? `error: nothing listens at ${broker}: is the simulator running? Start it with npm run sim (or give --broker URL of the one that runs)`
        : `error: ${(e as Error).message}`,
    );
    return 1;
  }
  if (!reply.ok) {
    const unknown = reply.error === 'unknown card' || reply.error === 'unknown staff card';
    io.err(
      `refused: ${reply.error ?? 'unknown error'}${unknown ? `: club ${command.clubId} has no card ${command.uid} (${LIST_HINT})` : ''}`,
    );
    return 1;
  }
  const cards = CardRecord.array().safeParse(reply.data);
  const card = CardRecord.safeParse(reply.data);
  const staff = StaffRecord.array().safeParse(reply.data);
  const one = StaffRecord.safeParse(reply.data);
  if (command.cmd === 'terminal-list' || command.cmd === 'terminal-add') {
    const list = TerminalRow.array().safeParse([reply.data].flat());
    if (list.success && list.data.length === 0) io.out('no terminals');
    for (const r of list.success ? list.data : []) io.out(`${r.terminalId}  club ${r.clubId}`);
  } else if (command.cmd === 'staff-list' && staff.success) {
    if (staff.data.length === 0) io.out('no staff cards');
    for (const s of staff.data) io.out(staffLine(s));
  } else if (one.success) {
    io.out(staffLine(one.data));
  } else if (cards.success) {
    if (cards.data.length === 0) io.out('no cards');
    for (const c of cards.data) io.out(cardLine(c));
  } else if (card.success) {
    io.out(cardLine(card.data));
  } else {
    io.out(`ok: ${command.cmd} ${command.uid ?? ''}`.trimEnd());
  }
  return 0;
}
