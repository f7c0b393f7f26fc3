// Every word the cashier's screen shows, in one table keyed by a union (a mistyped key does not
// compile): the state machine's messages, the screen's own words, the keys' hints; then the
// refusal reasons and the sentence after a result, keyed by the contract's reason strings. Danish
// by default, English selectable.
export type Lang = 'da' | 'en';

const WORDS = {
  // The screen model's `message`, as the state machine chooses it.
  idle: { da: 'Vælg varer', en: 'Select items' },
  basketPrompt: { da: 'Enter: betal med kort · Esc: ryd', en: 'Enter: pay by card · Esc: clear' },
  tap: { da: 'Hold kortet op til læseren', en: 'Tap the card on the reader' },
  confirm: {
    da: 'Er det det rigtige barn? Enter: godkend · Esc: fortryd',
    en: 'Is this the right child? Enter: approve · Esc: cancel',
  },
  confirmNoPhoto: {
    da: 'Intet foto — tjek barnet! Enter: godkend · Esc: fortryd',
    en: 'No photo — check the child! Enter: approve · Esc: cancel',
  },
  busy: { da: 'Et øjeblik…', en: 'One moment…' },
  saleApproved: { da: 'Godkendt', en: 'Approved' },
  approvedOffline: { da: 'Godkendt (offline)', en: 'Approved (offline)' },
  saleDeclined: { da: 'Afvist', en: 'Declined' },
  voidPrompt: {
    da: 'Annullér sidste salg? Enter: annullér · Esc: tilbage',
    en: 'Void the last sale? Enter: void · Esc: back',
  },
  voidNone: { da: 'Intet salg at annullere', en: 'No sale to void' },
  voided: { da: 'Salget er annulleret', en: 'Sale voided' },
  reportPrompt: { da: 'Dagens rapport · Esc: tilbage', en: "Today's report · Esc: back" },
  readerError: { da: 'Kortlæseren er ikke tilsluttet', en: 'The card reader is not connected' },
  readerRestarting: {
    da: 'Kortlæseren svarer ikke — kassen genstarter den',
    en: 'The card reader is not answering — the terminal is restarting it',
  },
  readerReplugPrompt: {
    da: 'Kortlæseren svarer ikke: tag stikket ud, og sæt det i igen',
    en: 'The card reader is not answering: unplug it and plug it in again',
  },
  itemTooExpensive: {
    da: 'Varen kan ikke sælges her (200 kr eller mere)',
    en: 'This item cannot be sold here (200 kr or more)',
  },
  overMaxPurchase: { da: 'Købet overstiger grænsen pr. køb', en: 'The purchase exceeds the limit per sale' },
  tooManyLines: { da: 'Ikke flere linjer i ét køb (højst 100)', en: 'No more lines in one sale (at most 100)' },
  tooManyOfItem: {
    da: 'Ikke flere af denne vare i ét køb (højst 1000)',
    en: 'No more of this item in one sale (at most 1000)',
  },
  forwarding: { da: 'Sender køen til hovedbogen…', en: 'Forwarding the queue to the ledger…' },
  readError: { da: 'Kortet blev ikke læst — prøv igen', en: 'The card was not read — try again' },
  // Cashiers, parents' rules, low balance
  signedIn: { da: 'Kasserer logget ind', en: 'Cashier signed in' },
  signedOut: { da: 'Kasserer logget ud', en: 'Cashier signed out' },
  leadSignedIn: { da: 'Leder logget ind', en: 'Lead signed in' },
  leadSignedOut: { da: 'Leder logget ud', en: 'Lead signed out' },
  // A digit before the club's catalog has arrived (a first start): said, not silently dropped.
  catalogPending: { da: 'Varerne hentes stadig — vent et øjeblik', en: 'The items are still loading — wait a moment' },
  cashierRequired: { da: 'Log ind med dit personalekort først', en: 'Sign in with your staff card first' },
  // The void screen when the signed-in cashier may not void the sale (`{seller}`: who made it).
  voidSellerOrLead: {
    da: 'Kun {seller}, der solgte, eller en leder kan annullere: Esc, log ind med personalekortet, F2',
    en: 'Only {seller}, who made the sale, or a lead can void it: Esc, sign in with the staff card, F2',
  },
  voidLeadOnly: {
    da: 'Kun en leder kan annullere: Esc, log ind med lederens personalekort, F2',
    en: "Only a lead can void it: Esc, sign in with a lead's staff card, F2",
  },
  theSeller: { da: 'kassereren', en: 'the cashier' },
  // `0` on the result of a blocked category (`{items}`: the lines taken out).
  blockedRemoved: {
    da: 'Spærrede varer taget ud af kurven: {items}',
    en: 'Blocked items taken out of the basket: {items}',
  },
  // A new catalog while a basket is open (`{items}`: the names of the lines taken out).
  catalogChanged: {
    da: 'Kataloget er ændret — kurven har nu de nye priser',
    en: 'The catalog has changed — the basket now has the new prices',
  },
  catalogItemRemoved: {
    da: 'Kataloget er ændret — taget ud af kurven: {items}',
    en: 'The catalog has changed — taken out of the basket: {items}',
  },
  // The screen's own words: status bar, panels, titles, the simulator's panel.
  online: { da: 'Online', en: 'Online' },
  offline: { da: 'Offline', en: 'Offline' },
  queue: { da: 'Kø', en: 'Queue' },
  offlineUnreachable: { da: 'ingen forbindelse', en: 'no connection' },
  offlineRefused: { da: 'afvist af serveren', en: 'refused by the server' },
  offlineNotAuthorized: { da: 'adgang nægtet', en: 'access denied' },
  offlineUnavailable: { da: 'serveren ikke klar', en: 'server not ready' },
  offlineTls: { da: 'certifikatfejl', en: 'certificate error' },
  offlineLedger: { da: 'hovedbogen offline', en: 'ledger offline' },
  ledgerSilent: { da: 'Hovedbogen svarer ikke', en: 'Ledger not answering' },
  since: { da: 'siden', en: 'since' },
  reader: { da: 'Læser', en: 'Reader' },
  readerReady: { da: 'klar', en: 'ready' },
  readerUnplugged: { da: 'ikke tilsluttet', en: 'unplugged' },
  indicators: { da: 'Lys/lyd', en: 'Lights/buzzer' },
  indicatorsReader: { da: 'kun læserens', en: "reader's only" },
  indicatorsScreen: { da: 'mangler', en: 'missing' },
  readerNotAnswering: { da: 'svarer ikke', en: 'not answering' },
  readerReplug: { da: 'sæt stikket i igen', en: 'plug it in again' },
  items: { da: 'Varer', en: 'Items' },
  page: { da: 'Side', en: 'Page' },
  noItems: { da: 'Ingen varer endnu', en: 'No items yet' },
  basket: { da: 'Kurv', en: 'Basket' },
  basketEmpty: { da: 'Kurven er tom', en: 'The basket is empty' },
  total: { da: 'I alt', en: 'Total' },
  itemCount: { da: 'varer', en: 'items' },
  pickItems: { da: 'Tryk 1–9 for at vælge en vare', en: 'Press 1–9 to pick an item' },
  tapForBalance: { da: 'Hold et kort op for at se saldoen', en: 'Tap a card to see its balance' },
  tapTitle: { da: 'HOLD KORTET OP', en: 'TAP CARD' },
  balance: { da: 'Saldo', en: 'Balance' },
  afterSale: { da: 'Efter køb', en: 'After sale' },
  newBalance: { da: 'Ny saldo', en: 'New balance' },
  ref: { da: 'Ref.', en: 'Ref.' },
  noPhoto: { da: 'Intet foto — tjek barnet', en: 'No photo — check the child' },
  photoMissing: { da: 'Foto mangler — tjek barnet', en: 'Photo missing — check the child' },
  photoLoading: { da: 'Henter foto…', en: 'Loading photo…' },
  photoCannotShow: {
    da: 'Fotoet kan ikke vises — spørg om barnets navn',
    en: "The photo cannot be shown — ask the child's name",
  },
  working: { da: 'Arbejder…', en: 'Working…' },
  approved: { da: 'GODKENDT', en: 'APPROVED' },
  declined: { da: 'AFVIST', en: 'DECLINED' },
  lastSale: { da: 'Sidste salg', en: 'Last sale' },
  noSale: { da: 'Intet salg at annullere', en: 'No sale to void' },
  alreadyVoided: { da: 'Allerede annulleret', en: 'Already voided' },
  report: { da: 'Dagens rapport', en: "Today's report" },
  sales: { da: 'Salg', en: 'Sales' },
  offlineSales: { da: 'Heraf offline', en: 'Of which offline' },
  voids: { da: 'Annulleringer', en: 'Voids' },
  declinedCount: { da: 'Afviste køb', en: 'Declined sales' },
  queued: { da: 'Venter på hovedbogen', en: 'Waiting for the ledger' },
  net: { da: 'I alt efter annulleringer', en: 'Net after voids' },
  available: { da: 'Til rådighed', en: 'Available' },
  thisSale: { da: 'Købet', en: 'This sale' },
  voidedAmount: { da: 'Annulleret', en: 'Voided' },
  error: { da: 'FEJL', en: 'ERROR' },
  errReader: { da: 'Kortlæseren er ikke tilsluttet', en: 'The card reader is not connected' },
  errReaderSilent: { da: 'Kortlæseren svarer ikke', en: 'The card reader is not answering' },
  fixReaderWait: {
    da: 'Vent lidt — kassen genstarter kortlæseren.',
    en: 'Wait a moment — the terminal is restarting the card reader.',
  },
  fixReaderReplug: {
    da: 'Tag kortlæserens stik ud, og sæt det i igen.',
    en: 'Unplug the card reader and plug it in again.',
  },
  errBroker: { da: 'Ingen forbindelse til serveren', en: 'No connection to the server' },
  errConfig: { da: 'Fejl i opsætningen', en: 'Configuration problem' },
  errStorage: { da: 'Fejl i lageret', en: 'Storage problem' },
  errUnknown: { da: 'Fejl', en: 'Error' },
  fixReader: { da: 'Sæt kortlæserens stik i igen.', en: 'Plug the card reader in again.' },
  fixBroker: {
    da: 'Tjek netværket. Salg kan fortsætte offline inden for grænserne.',
    en: 'Check the network. Sales can go on offline within the limits.',
  },
  fixConfig: { da: 'Kontakt den ansvarlige for kassen.', en: 'Call the person in charge of the terminal.' },
  fixStorage: { da: 'Kontakt den ansvarlige for kassen.', en: 'Call the person in charge of the terminal.' },
  sim: { da: 'SIM', en: 'SIM' },
  simTap: { da: 'tap kort', en: 'tap card' },
  simRemove: { da: 'fjern kort', en: 'remove card' },
  simPlug: { da: 'læser ud/ind', en: 'reader out/in' },
  simLedger: { da: 'hovedbog', en: 'ledger' },
  simLedgerRunning: { da: 'kører', en: 'running' },
  simLedgerCut: { da: 'nede', en: 'cut off' },
  simPick: { da: 'Vælg et kort at tappe', en: 'Pick a card to tap' },
  simClose: { da: 'luk', en: 'close' },
  simDid: { da: 'Udført', en: 'Done' },
  note: { da: 'Note fra forældre', en: "Parent's note" },
  leftToday: { da: 'Tilbage i dag', en: 'Left today' },
  blockedItem: { da: 'Spærret vare', en: 'Blocked item' },
  lowBalance: { da: 'Lav saldo — bed om at få sat penge ind', en: 'Low balance — ask for a top-up' },
  cashier: { da: 'Kasserer', en: 'Cashier' },
  lead: { da: 'Leder', en: 'Lead' },
  noCashier: { da: 'Ingen kasserer logget ind', en: 'No cashier signed in' },
  sinceSignIn: { da: 'siden login', en: 'since sign-in' },
  simStaff: { da: 'personalekort', en: 'staff card' },
  simSunKeys: { da: 'SUN: c kopi, p gentag', en: 'SUN: c clone, p replay' },
  simClone: { da: 'kopi', en: 'clone' },
  simReplay: { da: 'gentaget læsning', en: 'replayed read' },
  simNoReplay: { da: 'intet at gentage endnu', en: 'nothing to replay yet' },
  simQuit: { da: 'afslut', en: 'quit' },
  simUnknown: { da: 'Ukendt kort (ikke i hovedbogen)', en: 'Unknown card (not in the ledger)' },
  simBlocked: { da: 'spærret', en: 'blocked' },
  itemOne: { da: 'vare', en: 'item' },
  // The hints beside the keys at the bottom of the screen.
  hintPay: { da: 'Betal', en: 'Pay' },
  hintClear: { da: 'Ryd', en: 'Clear' },
  hintUndo: { da: 'Fortryd vare', en: 'Undo item' },
  hintPages: { da: 'Side', en: 'Page' },
  hintApprove: { da: 'Godkend', en: 'Approve' },
  hintCancel: { da: 'Fortryd', en: 'Cancel' },
  hintBack: { da: 'Tilbage', en: 'Back' },
  hintVoid: { da: 'Annullér', en: 'Void' },
  hintLastSale: { da: 'Sidste salg', en: 'Last sale' },
  hintReport: { da: 'Rapport', en: 'Report' },
  hintForward: { da: 'Send kø', en: 'Forward queue' },
  hintItems: { da: 'Vare', en: 'Item' },
  hintNextCustomer: { da: 'Næste kunde', en: 'Next customer' },
  hintToBasket: { da: 'Tilbage til kurven', en: 'Back to the basket' },
  hintRemoveBlocked: { da: 'Fjern spærrede varer', en: 'Remove blocked items' },
} as const satisfies Record<string, Record<Lang, string>>;

/** A word of the table; the messages a state may show (`notice`, …) are among them. */
export type WordKey = keyof typeof WORDS;
export type TextKey = WordKey;
export type HintKey = Extract<WordKey, `hint${string}`>;

const reasons: Record<string, Record<Lang, string>> = {
  insufficient_funds: { da: 'Ikke penge nok på kortet', en: 'Not enough money on the card' },
  blocked: { da: 'Kortet er spærret', en: 'The card is blocked' },
  unknown_card: { da: 'Ukendt kort', en: 'Unknown card' },
  card_auth: {
    da: 'Kortet kunne ikke bekræftes — det kan være en kopi',
    en: 'The card could not be verified — it may be a copy',
  },
  limit: { da: 'Over grænsen', en: 'Over the limit' },
  reversed: { da: 'Tilbageført', en: 'Reversed' },
  invalid: { da: 'Ugyldigt køb', en: 'Invalid sale' },
  offline_limit: { da: 'Offline-grænsen er nået', en: 'Offline limit reached' },
  stale: { da: 'Offline for længe — kortdata er for gamle', en: 'Offline too long — card data too old' },
  daily_limit: { da: 'Over forældrenes daglige grænse', en: "Over the parents' daily limit" },
  category_blocked: { da: 'Forældrene har spærret en vare', en: 'The parents have blocked an item' },
};

/** What the cashier does after a result: one sentence each (the keys are the screen's hints). */
const next = {
  approved: { da: 'Giv varerne til barnet.', en: 'Hand the goods to the child.' },
  approvedOffline: {
    da: 'Giv varerne til barnet. Salget sendes til hovedbogen, når den svarer.',
    en: 'Hand the goods to the child. The sale goes to the ledger when it answers.',
  },
  voided: { da: 'Beløbet går tilbage på barnets kort.', en: "The amount goes back to the child's card." },
  voidFailed: { da: 'Salget står stadig. Prøv igen med F2.', en: 'The sale still stands. Try again with F2.' },
  insufficient_funds: {
    da: 'Tag varer ud af kurven, eller bed barnet om at få sat penge ind.',
    en: 'Take items out of the basket, or ask the child to get a top-up.',
  },
  daily_limit: {
    da: 'Tag varer ud af kurven, så købet holder sig inden for dagens grænse.',
    en: "Take items out of the basket so the sale fits today's limit.",
  },
  category_blocked: {
    da: 'Tryk 0 for at tage de spærrede varer ud af kurven.',
    en: 'Press 0 to take the blocked items out of the basket.',
  },
  limit: {
    da: 'Købet er over grænsen. Tag varer ud af kurven.',
    en: 'The sale is over the limit. Take items out of the basket.',
  },
  blocked: {
    da: 'Kortet kan ikke bruges. Bed barnet tale med forældrene eller en leder.',
    en: 'The card cannot be used. Ask the child to talk to the parents or a lead.',
  },
  unknown_card: {
    da: 'Kortet kendes ikke. Prøv igen, eller brug et andet kort.',
    en: 'The card is not known. Try again, or use another card.',
  },
  card_auth: { da: 'Tag ikke imod kortet. Giv det til en leder.', en: 'Do not accept the card. Hand it to a lead.' },
  offline_limit: {
    da: 'Kassen kan ikke godkende mere offline. Vent til forbindelsen er tilbage.',
    en: 'The terminal cannot approve more offline. Wait until the connection is back.',
  },
  stale: { da: 'Vent til kassen er online igen.', en: 'Wait until the terminal is online again.' },
  other: { da: 'Prøv igen. Sker det igen, så kontakt en leder.', en: 'Try again. If it happens again, call a lead.' },
} as const satisfies Record<string, Record<Lang, string>>;

export type NextKey = keyof typeof next;

/** The sentence for a result: `approved`, `voided`… or a decline's reason (any other reason: try again). */
export function nextText(lang: Lang, key: string): string {
  return (Object.hasOwn(next, key) ? next[key as NextKey] : next.other)[lang];
}

export function text(lang: Lang, key: WordKey): string {
  return WORDS[key][lang];
}

/** Every word in one language, by key (what the UI's drawing code reads). */
export type Labels = { readonly [K in WordKey]: string };
const inLang = (lang: Lang): Labels =>
  Object.fromEntries(Object.entries(WORDS).map(([k, w]) => [k, w[lang]])) as Labels;
export const LABELS: Record<Lang, Labels> = { da: inLang('da'), en: inLang('en') };

export function reasonText(lang: Lang, reason: string): string {
  return reasons[reason]?.[lang] ?? reason;
}
