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
  // Cashiers, parents' rules, low balance
  signedIn: { da: 'Kasserer logget ind', en: 'Cashier signed in' },
  signedOut: { da: 'Kasserer logget ud', en: 'Cashier signed out' },
  leadSignedIn: { da: 'Leder logget ind', en: 'Lead signed in' },
  leadSignedOut: { da: 'Leder logget ud', en: 'Lead signed out' },
  // A digit before the club's catalog has arrived (a first start): said, not silently dropped.
  catalogPending: { da: 'Varerne hentes stadig — vent et øjeblik', en: 'The items are still loading — wait a moment' },
  cashierRequired: { da: 'Log ind med dit personalekort først', en: 'Sign in with your staff card first' },
  // The void screen when the signed-in cashier may not void the sale (`{seller}`: who made it).
  voidSellerOrLead: { da: 'Kun {seller}, der solgte, eller en leder kan annullere: Esc, log ind med personalekortet, F2', en: 'Only {seller}, who made the sale, or a lead can void it: Esc, sign in with the staff card, F2' },
  voidLeadOnly: { da: 'Kun en leder kan annullere: Esc, log ind med lederens personalekort, F2', en: "Only a lead can void it: Esc, sign in with a lead's staff card, F2" },
  theSeller: { da: 'kassereren', en: 'the cashier' },
  // `0` on the result of a blocked category (`{items}`: the lines taken out).
  blockedRemoved: { da: 'Spærrede varer taget ud af kurven: {items}', en: 'Blocked items taken out of the basket: {items}' },
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

/** What the cashier does after a result: one sentence each (the keys are the screen's hints). */
const next = {
  approved: { da: 'Giv varerne til barnet.', en: 'Hand the goods to the child.' },
  approvedOffline: { da: 'Giv varerne til barnet. Salget sendes til hovedbogen, når den svarer.', en: 'Hand the goods to the child. The sale goes to the ledger when it answers.' },
  voided: { da: 'Beløbet går tilbage på barnets kort.', en: "The amount goes back to the child's card." },
  voidFailed: { da: 'Salget står stadig. Prøv igen med F2.', en: 'The sale still stands. Try again with F2.' },
  insufficient_funds: { da: 'Tag varer ud af kurven, eller bed barnet om at få sat penge ind.', en: 'Take items out of the basket, or ask the child to get a top-up.' },
  daily_limit: { da: 'Tag varer ud af kurven, så købet holder sig inden for dagens grænse.', en: "Take items out of the basket so the sale fits today's limit." },
  category_blocked: { da: 'Tryk 0 for at tage de spærrede varer ud af kurven.', en: 'Press 0 to take the blocked items out of the basket.' },
  limit: { da: 'Købet er over grænsen. Tag varer ud af kurven.', en: 'The sale is over the limit. Take items out of the basket.' },
  blocked: { da: 'Kortet kan ikke bruges. Bed barnet tale med forældrene eller en leder.', en: 'The card cannot be used. Ask the child to talk to the parents or a lead.' },
  unknown_card: { da: 'Kortet kendes ikke. Prøv igen, eller brug et andet kort.', en: 'The card is not known. Try again, or use another card.' },
  card_auth: { da: 'Tag ikke imod kortet. Giv det til en leder.', en: 'Do not accept the card. Hand it to a lead.' },
  offline_limit: { da: 'Kassen kan ikke godkende mere offline. Vent til forbindelsen er tilbage.', en: 'The terminal cannot approve more offline. Wait until the connection is back.' },
  stale: { da: 'Vent til kassen er online igen.', en: 'Wait until the terminal is online again.' },
  other: { da: 'Prøv igen. Sker det igen, så kontakt en leder.', en: 'Try again. If it happens again, call a lead.' },
} as const satisfies Record<string, Record<Lang, string>>;

export type NextKey = keyof typeof next;

/** The sentence for a result: `approved`, `voided`… or a decline's reason (any other reason: try again). */
export function nextText(lang: Lang, key: string): string {
  return (Object.hasOwn(next, key) ? next[key as NextKey] : next.other)[lang];
}

export function text(lang: Lang, key: TextKey): string {
  return texts[key][lang];
}

export function reasonText(lang: Lang, reason: string): string {
  return reasons[reason]?.[lang] ?? reason;
}
