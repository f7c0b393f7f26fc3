// `klubkort status` for a technician: the daemon's snapshot as labelled lines (--json keeps the raw form).
import type { TerminalSnapshot } from '../terminal/terminal.ts';

const READER_STATUS: Record<TerminalSnapshot['reader'], string> = {
  ready: 'ready',
  unplugged: 'UNPLUGGED or not found',
  not_answering: 'NOT ANSWERING (on USB but silent or missing from pcscd): being healed',
  replug: 'NOT ANSWERING after a pcscd restart: unplug it and plug it back in',
};

/** "now", "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 5) return 'now';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** What `klubkort status` says of the LEDs and buzzer. */
function indicatorsLine(f: TerminalSnapshot['indicators']): string {
  if (!f) return 'LEDs and buzzer ready';
  const instead = f.fallback === 'reader' ? "the screen and the reader's LED and beeper" : 'the screen only';
  return `LEDs and buzzer MISSING, feedback on ${instead}: ${f.problem}`;
}

/** `dataDir`: where the daemon was found (said first: without --data-dir it is looked for). */
export function formatStatus(s: TerminalSnapshot, now: Date = new Date(), dataDir?: string): string {
  const last = s.lastOnlineAt === null ? null : Date.parse(s.lastOnlineAt);
  const sync = s.online
    ? 'connected to the broker now'
    : last === null
      ? 'never connected to the broker'
      : `offline; last connected ${formatAge(now.getTime() - last)} ago (${s.lastOnlineAt})`;
  const rows: [string, string][] = [
    ...(dataDir === undefined ? [] : [['data dir', dataDir] as [string, string]]),
    ['terminal', s.terminalId],
    ['state', s.online ? 'online' : 'OFFLINE (selling within the offline limits)'],
    [
      'queue',
      s.queue === 0
        ? 'empty: the ledger has answered everything'
        : `${s.queue} sale(s)/void(s) waiting for the ledger's answer`,
    ],
    ['last sync', sync],
    ['reader', READER_STATUS[s.reader]],
    ['lights', indicatorsLine(s.indicators)],
    ['screen', s.screen ?? '(none yet)'],
    ['cards', `${s.cards} cached`],
    ['rejected', `${s.rejected} inbound message(s) broke the contract`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n');
}
