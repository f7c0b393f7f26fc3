// The cashier screen's words as the drawing code reads them (the table itself, with the state
// machine's messages and the refusal reasons, is firmware/words.ts), and the phrases built from them.
import { LABELS, reasonText, type Labels, type Lang } from '../words.ts';
import { formatTime } from './format.ts';
import type { OfflineReason, ReaderStatus, ScreenModel, ScreenView } from '../../contract/index.ts';

export type { Lang };

export type { Labels };
export { LABELS };
export type LabelKey = keyof Labels;

export function labels(lang: Lang): Labels {
  return LABELS[lang] ?? LABELS.da;
}

/** "1 vare", "3 varer". */
export function itemCountText(l: Labels, n: number): string {
  return `${n} ${n === 1 ? l.itemOne : l.itemCount}`;
}

/** A refusal reason as the cashier reads it (shared with the state machine's messages). */
export function reasonLabel(lang: Lang, reason: string): string {
  return reasonText(lang, reason);
}

export function tooSmallText(lang: Lang, w: number, h: number): string {
  return lang === 'en'
    ? `Terminal too small — needs at least ${w}×${h}`
    : `Terminalen er for lille — kræver mindst ${w}×${h}`;
}

/** The reader's status as the status bar says it. */
export function readerLabel(l: Labels, status: ReaderStatus): string {
  switch (status) {
    case 'ready':
      return l.readerReady;
    case 'unplugged':
      return l.readerUnplugged;
    case 'not_answering':
      return l.readerNotAnswering;
    case 'replug':
      return l.readerReplug;
  }
}

/** "Offline", with why when known ("Offline: adgang nægtet"). */
export function offlineLabel(l: Labels, reason: OfflineReason | null | undefined): string {
  const why: Record<OfflineReason, string> = {
    unreachable: l.offlineUnreachable,
    refused: l.offlineRefused,
    not_authorized: l.offlineNotAuthorized,
    unavailable: l.offlineUnavailable,
    tls: l.offlineTls,
    ledger_offline: l.offlineLedger,
  };
  return reason ? `${l.offline}: ${why[reason]}` : l.offline;
}

/**
 * The connection as the status bar says it (issue 26): online; the ledger not answering, since when
 * (in the club's `timeZone`, as the screen's clock); or offline, with why: the broker comes first,
 * for without it nothing is known of the ledger.
 */
export function connectionLabel(
  l: Labels,
  m: Pick<ScreenModel, 'online' | 'view'>,
  timeZone?: string,
): { text: string; ok: boolean } {
  const v = m.view;
  if (!m.online && v.offlineReason !== 'ledger_offline') return { text: offlineLabel(l, v.offlineReason), ok: false };
  if (!v.ledgerSilentSince && m.online) return { text: l.online, ok: true };
  const since = v.ledgerSilentSince ? ` ${l.since} ${formatTime(v.ledgerSilentSince, timeZone)}` : '';
  return { text: `${l.ledgerSilent}${since}`, ok: false };
}

export function errorTitle(
  lang: Lang,
  kind: ScreenView['errorKind'],
  reader: ReaderStatus = 'unplugged',
): { title: string; fix: string } {
  const l = labels(lang);
  switch (kind) {
    case 'reader':
      if (reader === 'not_answering') return { title: l.errReaderSilent, fix: l.fixReaderWait };
      if (reader === 'replug') return { title: l.errReaderSilent, fix: l.fixReaderReplug };
      return { title: l.errReader, fix: l.fixReader };
    case 'broker':
      return { title: l.errBroker, fix: l.fixBroker };
    case 'config':
      return { title: l.errConfig, fix: l.fixConfig };
    case 'storage':
      return { title: l.errStorage, fix: l.fixStorage };
    default:
      return { title: l.errUnknown, fix: '' };
  }
}

const KEY_CAPS: Record<string, string> = {
  enter: 'Enter',
  escape: 'Esc',
  backspace: '←',
  up: '↑',
  down: '↓',
  'up/down': '↑↓',
  '1-9': '1–9',
};

/** How a hint's key is printed: "Enter", "Esc", "←", "↑↓", "F2", "1–9". */
export function keyCap(key: string): string {
  return KEY_CAPS[key] ?? (/^f\d+$/.test(key) ? key.toUpperCase() : key);
}
