// The cashier screen's own words (the state machine's messages and refusal reasons live in
// firmware/i18n.ts and are reused from there). Danish by default, English selectable.
import { reasonText, type Lang } from '../words.ts';
import { formatTime } from './format.ts';
import type { OfflineReason, ReaderStatus, ScreenModel, ScreenView } from '../../contract/index.ts';

export type { Lang };

/** Every word of the screen in both languages, side by side (one place to add a word). */
const WORDS = {
  online: { da: 'Online', en: 'Online' }, offline: { da: 'Offline', en: 'Offline' }, queue: { da: 'Kø', en: 'Queue' },
  offlineUnreachable: { da: 'ingen forbindelse', en: 'no connection' }, offlineRefused: { da: 'afvist af serveren', en: 'refused by the server' },
  offlineNotAuthorized: { da: 'adgang nægtet', en: 'access denied' }, offlineUnavailable: { da: 'serveren ikke klar', en: 'server not ready' },
  offlineTls: { da: 'certifikatfejl', en: 'certificate error' }, offlineLedger: { da: 'hovedbogen offline', en: 'ledger offline' },
  ledgerSilent: { da: 'Hovedbogen svarer ikke', en: 'Ledger not answering' }, since: { da: 'siden', en: 'since' },
  reader: { da: 'Læser', en: 'Reader' }, readerReady: { da: 'klar', en: 'ready' }, readerUnplugged: { da: 'ikke tilsluttet', en: 'unplugged' },
  indicators: { da: 'Lys/lyd', en: 'Lights/buzzer' }, indicatorsReader: { da: 'kun læserens', en: "reader's only" },
  indicatorsScreen: { da: 'mangler', en: 'missing' }, readerNotAnswering: { da: 'svarer ikke', en: 'not answering' },
  readerReplug: { da: 'sæt stikket i igen', en: 'plug it in again' }, items: { da: 'Varer', en: 'Items' }, page: { da: 'Side', en: 'Page' },
  noItems: { da: 'Ingen varer endnu', en: 'No items yet' }, basket: { da: 'Kurv', en: 'Basket' },
  basketEmpty: { da: 'Kurven er tom', en: 'The basket is empty' }, total: { da: 'I alt', en: 'Total' }, itemCount: { da: 'varer', en: 'items' },
  pickItems: { da: 'Tryk 1–9 for at vælge en vare', en: 'Press 1–9 to pick an item' },
  tapForBalance: { da: 'Hold et kort op for at se saldoen', en: 'Tap a card to see its balance' }, tapTitle: { da: 'HOLD KORTET OP', en: 'TAP CARD' },
  balance: { da: 'Saldo', en: 'Balance' }, afterSale: { da: 'Efter køb', en: 'After sale' }, newBalance: { da: 'Ny saldo', en: 'New balance' },
  ref: { da: 'Ref.', en: 'Ref.' }, noPhoto: { da: 'Intet foto — tjek barnet', en: 'No photo — check the child' },
  photoMissing: { da: 'Foto mangler — tjek barnet', en: 'Photo missing — check the child' }, photoLoading: { da: 'Henter foto…', en: 'Loading photo…' },
  photoCannotShow: { da: 'Fotoet kan ikke vises — spørg om barnets navn', en: "The photo cannot be shown — ask the child's name" },
  working: { da: 'Arbejder…', en: 'Working…' }, approved: { da: 'GODKENDT', en: 'APPROVED' }, declined: { da: 'AFVIST', en: 'DECLINED' },
  lastSale: { da: 'Sidste salg', en: 'Last sale' }, noSale: { da: 'Intet salg at annullere', en: 'No sale to void' },
  alreadyVoided: { da: 'Allerede annulleret', en: 'Already voided' }, report: { da: 'Dagens rapport', en: "Today's report" },
  sales: { da: 'Salg', en: 'Sales' }, offlineSales: { da: 'Heraf offline', en: 'Of which offline' }, voids: { da: 'Annulleringer', en: 'Voids' },
  declinedCount: { da: 'Afviste køb', en: 'Declined sales' }, queued: { da: 'Venter på hovedbogen', en: 'Waiting for the ledger' },
  net: { da: 'I alt efter annulleringer', en: 'Net after voids' }, available: { da: 'Til rådighed', en: 'Available' },
  thisSale: { da: 'Købet', en: 'This sale' }, voidedAmount: { da: 'Annulleret', en: 'Voided' },
  error: { da: 'FEJL', en: 'ERROR' }, errReader: { da: 'Kortlæseren er ikke tilsluttet', en: 'The card reader is not connected' },
  errReaderSilent: { da: 'Kortlæseren svarer ikke', en: 'The card reader is not answering' },
  fixReaderWait: { da: 'Vent lidt — kassen genstarter kortlæseren.', en: 'Wait a moment — the terminal is restarting the card reader.' },
  fixReaderReplug: { da: 'Tag kortlæserens stik ud, og sæt det i igen.', en: 'Unplug the card reader and plug it in again.' },
  errBroker: { da: 'Ingen forbindelse til serveren', en: 'No connection to the server' },
  errConfig: { da: 'Fejl i opsætningen', en: 'Configuration problem' }, errStorage: { da: 'Fejl i lageret', en: 'Storage problem' },
  errUnknown: { da: 'Fejl', en: 'Error' }, fixReader: { da: 'Sæt kortlæserens stik i igen.', en: 'Plug the card reader in again.' },
  fixBroker: { da: 'Tjek netværket. Salg kan fortsætte offline inden for grænserne.', en: 'Check the network. Sales can go on offline within the limits.' },
  fixConfig: { da: 'Kontakt den ansvarlige for kassen.', en: 'Call the person in charge of the terminal.' },
  fixStorage: { da: 'Kontakt den ansvarlige for kassen.', en: 'Call the person in charge of the terminal.' }, sim: { da: 'SIM', en: 'SIM' },
  simTap: { da: 'tap kort', en: 'tap card' }, simRemove: { da: 'fjern kort', en: 'remove card' }, simPlug: { da: 'læser ud/ind', en: 'reader out/in' },
  simLedger: { da: 'hovedbog', en: 'ledger' }, simLedgerRunning: { da: 'kører', en: 'running' }, simLedgerCut: { da: 'nede', en: 'cut off' },
  simPick: { da: 'Vælg et kort at tappe', en: 'Pick a card to tap' },
  simClose: { da: 'luk', en: 'close' }, simDid: { da: 'Udført', en: 'Done' }, note: { da: 'Note fra forældre', en: "Parent's note" },
  leftToday: { da: 'Tilbage i dag', en: 'Left today' }, blockedItem: { da: 'Spærret vare', en: 'Blocked item' },
  lowBalance: { da: 'Lav saldo — bed om at få sat penge ind', en: 'Low balance — ask for a top-up' }, cashier: { da: 'Kasserer', en: 'Cashier' },
  lead: { da: 'Leder', en: 'Lead' }, noCashier: { da: 'Ingen kasserer logget ind', en: 'No cashier signed in' },
  sinceSignIn: { da: 'siden login', en: 'since sign-in' }, simStaff: { da: 'personalekort', en: 'staff card' },
  simSunKeys: { da: 'SUN: c kopi, p gentag', en: 'SUN: c clone, p replay' }, simClone: { da: 'kopi', en: 'clone' },
  simReplay: { da: 'gentaget læsning', en: 'replayed read' }, simNoReplay: { da: 'intet at gentage endnu', en: 'nothing to replay yet' },
  simQuit: { da: 'afslut', en: 'quit' }, simUnknown: { da: 'Ukendt kort (ikke i hovedbogen)', en: 'Unknown card (not in the ledger)' },
  simBlocked: { da: 'spærret', en: 'blocked' }, itemOne: { da: 'vare', en: 'item' },
} as const;

export type Labels = { readonly [K in keyof typeof WORDS]: string };

const inLang = (lang: Lang): Labels => Object.fromEntries(Object.entries(WORDS).map(([k, w]) => [k, w[lang]])) as Labels;
const da = inLang('da');
const en = inLang('en');

export type LabelKey = keyof Labels;
export const LABELS: Record<Lang, Labels> = { da, en };

export function labels(lang: Lang): Labels {
  return LABELS[lang] ?? da;
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
  return lang === 'en' ? `Terminal too small — needs at least ${w}×${h}` : `Terminalen er for lille — kræver mindst ${w}×${h}`;
}

/** The reader's status as the status bar says it. */
export function readerLabel(l: Labels, status: ReaderStatus): string {
  switch (status) {
    case 'ready': return l.readerReady;
    case 'unplugged': return l.readerUnplugged;
    case 'not_answering': return l.readerNotAnswering;
    case 'replug': return l.readerReplug;
  }
}

/** "Offline", with why when known ("Offline: adgang nægtet"). */
export function offlineLabel(l: Labels, reason: OfflineReason | null | undefined): string {
  const why: Record<OfflineReason, string> = {
    unreachable: l.offlineUnreachable, refused: l.offlineRefused, not_authorized: l.offlineNotAuthorized,
    unavailable: l.offlineUnavailable, tls: l.offlineTls, ledger_offline: l.offlineLedger,
  };
  return reason ? `${l.offline}: ${why[reason]}` : l.offline;
}

/**
 * The connection as the status bar says it (issue 26): online; the ledger not answering, since when
 * (in the club's `timeZone`, as the screen's clock); or offline, with why: the broker comes first,
 * for without it nothing is known of the ledger.
 */
export function connectionLabel(l: Labels, m: Pick<ScreenModel, 'online' | 'view'>, timeZone?: string): { text: string; ok: boolean } {
  const v = m.view;
  if (!m.online && v.offlineReason !== 'ledger_offline') return { text: offlineLabel(l, v.offlineReason), ok: false };
  if (!v.ledgerSilentSince && m.online) return { text: l.online, ok: true };
  const since = v.ledgerSilentSince ? ` ${l.since} ${formatTime(v.ledgerSilentSince, timeZone)}` : '';
  return { text: `${l.ledgerSilent}${since}`, ok: false };
}

export function errorTitle(lang: Lang, kind: ScreenView['errorKind'], reader: ReaderStatus = 'unplugged'): { title: string; fix: string } {
  const l = labels(lang);
  switch (kind) {
    case 'reader':
      if (reader === 'not_answering') return { title: l.errReaderSilent, fix: l.fixReaderWait };
      if (reader === 'replug') return { title: l.errReaderSilent, fix: l.fixReaderReplug };
      return { title: l.errReader, fix: l.fixReader };
    case 'broker': return { title: l.errBroker, fix: l.fixBroker };
    case 'config': return { title: l.errConfig, fix: l.fixConfig };
    case 'storage': return { title: l.errStorage, fix: l.fixStorage };
    default: return { title: l.errUnknown, fix: '' };
  }
}

const KEY_CAPS: Record<string, string> = {
  enter: 'Enter', escape: 'Esc', backspace: '←', up: '↑', down: '↓', 'up/down': '↑↓', '1-9': '1–9',
};

/** How a hint's key is printed: "Enter", "Esc", "←", "↑↓", "F2", "1–9". */
export function keyCap(key: string): string {
  return KEY_CAPS[key] ?? (/^f\d+$/.test(key) ? key.toUpperCase() : key);
}
