// The cashier screen's own words (the state machine's messages and refusal reasons live in
// firmware/i18n.ts and are reused from there). Danish by default, English selectable.
import { reasonText, type Lang } from '../i18n.ts';
import type { ReaderStatus, ScreenView } from '../../contract/index.ts';

export type { Lang };

const da = {
  online: 'Online', offline: 'Offline', queue: 'Kø', reader: 'Læser', readerReady: 'klar', readerUnplugged: 'ikke tilsluttet',
  indicators: 'Lys/lyd', indicatorsReader: 'kun læserens', indicatorsScreen: 'mangler',
  readerNotAnswering: 'svarer ikke', readerReplug: 'sæt stikket i igen',
  items: 'Varer', page: 'Side', noItems: 'Ingen varer endnu', basket: 'Kurv', basketEmpty: 'Kurven er tom', total: 'I alt',
  itemCount: 'varer', pickItems: 'Tryk 1–9 for at vælge en vare', tapForBalance: 'Hold et kort op for at se saldoen',
  tapTitle: 'HOLD KORTET OP', balance: 'Saldo', afterSale: 'Efter køb', newBalance: 'Ny saldo', ref: 'Ref.',
  noPhoto: 'Intet foto — tjek barnet', photoMissing: 'Foto mangler — tjek barnet', photoLoading: 'Henter foto…',
  photoCannotShow: 'Fotoet kan ikke vises — spørg om barnets navn',
  working: 'Arbejder…', approved: 'GODKENDT', declined: 'AFVIST',
  lastSale: 'Sidste salg', noSale: 'Intet salg at annullere', alreadyVoided: 'Allerede annulleret',
  report: 'Dagens rapport', sales: 'Salg', offlineSales: 'Heraf offline', voids: 'Annulleringer', declinedCount: 'Afviste',
  queued: 'Venter på hovedbogen', error: 'FEJL',
  errReader: 'Kortlæseren er ikke tilsluttet', errReaderSilent: 'Kortlæseren svarer ikke',
  fixReaderWait: 'Vent lidt — kassen genstarter kortlæseren.', fixReaderReplug: 'Tag kortlæserens stik ud, og sæt det i igen.',
  errBroker: 'Ingen forbindelse til serveren', errConfig: 'Fejl i opsætningen',
  errStorage: 'Fejl i lageret', errUnknown: 'Fejl',
  fixReader: 'Sæt kortlæserens stik i igen.', fixBroker: 'Tjek netværket. Salg kan fortsætte offline inden for grænserne.',
  fixConfig: 'Kontakt den ansvarlige for kassen.', fixStorage: 'Kontakt den ansvarlige for kassen.',
  sim: 'SIM', simTap: 'tap kort', simRemove: 'fjern kort', simPlug: 'læser ud/ind', simLedger: 'hovedbog af/på',
  simPick: 'Vælg et barn at tappe', simClose: 'luk', simDid: 'Udført',
  note: 'Note fra forældre', leftToday: 'Tilbage i dag', blockedItem: 'Spærret vare', lowBalance: 'Lav saldo — bed om at få sat penge ind',
  cashier: 'Kasserer', lead: 'Leder', noCashier: 'Ingen kasserer logget ind', sinceSignIn: 'siden login', simStaff: 'personalekort',
  simSunKeys: 'SUN: c kopi, p gentag', simClone: 'kopi', simReplay: 'gentaget læsning', simNoReplay: 'intet at gentage endnu',
} as const;

export type Labels = { readonly [K in keyof typeof da]: string };

const en: Labels = {
  online: 'Online', offline: 'Offline', queue: 'Queue', reader: 'Reader', readerReady: 'ready', readerUnplugged: 'unplugged',
  indicators: 'Lights/buzzer', indicatorsReader: "reader's only", indicatorsScreen: 'missing',
  readerNotAnswering: 'not answering', readerReplug: 'plug it in again',
  items: 'Items', page: 'Page', noItems: 'No items yet', basket: 'Basket', basketEmpty: 'The basket is empty', total: 'Total',
  itemCount: 'items', pickItems: 'Press 1–9 to pick an item', tapForBalance: 'Tap a card to see its balance',
  tapTitle: 'TAP CARD', balance: 'Balance', afterSale: 'After sale', newBalance: 'New balance', ref: 'Ref.',
  noPhoto: 'No photo — check the child', photoMissing: 'Photo missing — check the child', photoLoading: 'Loading photo…',
  photoCannotShow: "The photo cannot be shown — ask the child's name",
  working: 'Working…', approved: 'APPROVED', declined: 'DECLINED',
  lastSale: 'Last sale', noSale: 'No sale to void', alreadyVoided: 'Already voided',
  report: "Today's report", sales: 'Sales', offlineSales: 'Of which offline', voids: 'Voids', declinedCount: 'Declined',
  queued: 'Waiting for the ledger', error: 'ERROR',
  errReader: 'The card reader is not connected', errReaderSilent: 'The card reader is not answering',
  fixReaderWait: 'Wait a moment — the terminal is restarting the card reader.', fixReaderReplug: 'Unplug the card reader and plug it in again.',
  errBroker: 'No connection to the server', errConfig: 'Configuration problem',
  errStorage: 'Storage problem', errUnknown: 'Error',
  fixReader: 'Plug the card reader in again.', fixBroker: 'Check the network. Sales can go on offline within the limits.',
  fixConfig: 'Call the person in charge of the terminal.', fixStorage: 'Call the person in charge of the terminal.',
  sim: 'SIM', simTap: 'tap card', simRemove: 'remove card', simPlug: 'reader out/in', simLedger: 'ledger off/on',
  simPick: 'Pick a child to tap', simClose: 'close', simDid: 'Done',
  note: "Parent's note", leftToday: 'Left today', blockedItem: 'Blocked item', lowBalance: 'Low balance — ask for a top-up',
  cashier: 'Cashier', lead: 'Lead', noCashier: 'No cashier signed in', sinceSignIn: 'since sign-in', simStaff: 'staff card',
  simSunKeys: 'SUN: c clone, p replay', simClone: 'clone', simReplay: 'replayed read', simNoReplay: 'nothing to replay yet',
};

export type LabelKey = keyof Labels;
export const LABELS: Record<Lang, Labels> = { da, en };

export function labels(lang: Lang): Labels {
  return LABELS[lang] ?? da;
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
