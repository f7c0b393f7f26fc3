// Texts the state machine puts in the screen model's `message`. Danish by default.
export type Lang = 'da' | 'en';

const texts = {
  idle: { da: 'Vælg varer', en: 'Select items' },
  basket: { da: 'Enter: betal med kort · Esc: ryd', en: 'Enter: pay by card · Esc: clear' },
  tap: { da: 'Hold kortet op til læseren', en: 'Tap the card on the reader' },
  confirm: { da: 'Er det det rigtige barn? Enter: godkend · Esc: fortryd', en: 'Is this the right child? Enter: approve · Esc: cancel' },
  confirmNoPhoto: { da: 'Intet foto — tjek barnet! Enter: godkend · Esc: fortryd', en: 'No photo — check the child! Enter: approve · Esc: cancel' },
  busy: { da: 'Et øjeblik…', en: 'One moment…' },
  approved: { da: 'Godkendt', en: 'Approved' },
  approvedOffline: { da: 'Godkendt (offline)', en: 'Approved (offline)' },
  declined: { da: 'Afvist', en: 'Declined' },
  balance: { da: 'Saldo', en: 'Balance' },
  voidPrompt: { da: 'Annullér sidste salg? Enter: annullér · Esc: tilbage', en: 'Void the last sale? Enter: void · Esc: back' },
  voidNone: { da: 'Intet salg at annullere', en: 'No sale to void' },
  voided: { da: 'Salget er annulleret', en: 'Sale voided' },
  report: { da: 'Dagens rapport · Esc: tilbage', en: "Today's report · Esc: back" },
  readerError: { da: 'Kortlæseren er ikke tilsluttet', en: 'The card reader is not connected' },
  readerNotAnswering: { da: 'Kortlæseren svarer ikke — kassen genstarter den', en: 'The card reader is not answering — the terminal is restarting it' },
  readerReplug: { da: 'Kortlæseren svarer ikke: tag stikket ud, og sæt det i igen', en: 'The card reader is not answering: unplug it and plug it in again' },
  itemTooExpensive: { da: 'Varen kan ikke sælges her (200 kr eller mere)', en: 'This item cannot be sold here (200 kr or more)' },
  overMaxPurchase: { da: 'Købet overstiger grænsen pr. køb', en: 'The purchase exceeds the limit per sale' },
  tooManyLines: { da: 'Ikke flere linjer i ét køb (højst 100)', en: 'No more lines in one sale (at most 100)' },
  tooManyOfItem: { da: 'Ikke flere af denne vare i ét køb (højst 1000)', en: 'No more of this item in one sale (at most 1000)' },
  forwarding: { da: 'Sender køen til hovedbogen…', en: 'Forwarding the queue to the ledger…' },
  readError: { da: 'Kortet blev ikke læst — prøv igen', en: 'The card was not read — try again' },
  // 1.1: cashiers, parents' rules, low balance
  signedIn: { da: 'Kasserer logget ind', en: 'Cashier signed in' },
  signedOut: { da: 'Kasserer logget ud', en: 'Cashier signed out' },
  leadSignedIn: { da: 'Leder logget ind', en: 'Lead signed in' },
  leadSignedOut: { da: 'Leder logget ud', en: 'Lead signed out' },
  // A digit before the club's catalog has arrived (a first start): said, not silently dropped.
  catalogPending: { da: 'Varerne hentes stadig — vent et øjeblik', en: 'The items are still loading — wait a moment' },
  cashierRequired: { da: 'Log ind med dit personalekort først', en: 'Sign in with your staff card first' },
  voidNotAllowed: { da: 'Kun kassereren der solgte, eller en leder, kan annullere', en: 'Only the cashier who made the sale, or a lead, can void it' },
  // A new catalog while a basket is open (`{items}`: the names of the lines taken out).
  catalogChanged: { da: 'Kataloget er ændret — kurven har nu de nye priser', en: 'The catalog has changed — the basket now has the new prices' },
  catalogItemRemoved: { da: 'Kataloget er ændret — taget ud af kurven: {items}', en: 'The catalog has changed — taken out of the basket: {items}' },
  lowBalance: { da: 'Lav saldo — bed barnet om at få forældrene til at sætte penge ind', en: 'Low balance — ask the child to have the parents top up' },
} as const satisfies Record<string, Record<Lang, string>>;

export type TextKey = keyof typeof texts;

const reasons: Record<string, Record<Lang, string>> = {
  insufficient_funds: { da: 'Ikke penge nok på kortet', en: 'Not enough money on the card' },
  blocked: { da: 'Kortet er spærret', en: 'The card is blocked' },
  unknown_card: { da: 'Ukendt kort', en: 'Unknown card' },
  card_auth: { da: 'Kortet kunne ikke bekræftes — det kan være en kopi', en: 'The card could not be verified — it may be a copy' },
  limit: { da: 'Over grænsen', en: 'Over the limit' },
  reversed: { da: 'Tilbageført', en: 'Reversed' },
  invalid: { da: 'Ugyldigt køb', en: 'Invalid sale' },
  offline_limit: { da: 'Offline-grænsen er nået', en: 'Offline limit reached' },
  stale: { da: 'Offline for længe — kortdata er for gamle', en: 'Offline too long — card data too old' },
  daily_limit: { da: 'Over forældrenes daglige grænse', en: "Over the parents' daily limit" },
  category_blocked: { da: 'Forældrene har spærret en vare', en: 'The parents have blocked an item' },
};

export function text(lang: Lang, key: TextKey): string {
  return texts[key][lang];
}

export function reasonText(lang: Lang, reason: string): string {
  return reasons[reason]?.[lang] ?? reason;
}
