// The invariants, checked after every step (what can be judged while faults last) and at the end,
// after every fault healed and the queue drained (money to the øre). Each returns the broken rules
// as lines; empty when all hold. The reference ledger's booked entries are the truth of the money.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerEntry } from '../sim/reference-ledger/types.ts';
import type { Ledger } from '../sim/reference-ledger/ledger.ts';
import { demoClub, demoStaff } from '../sim/demo-club.ts';
import { readJournal } from '../test/helpers/daemon-process.ts';
import { checked, spanAt, truthNow, type Model, type Span } from './model.ts';
import { CLUB, type World } from './world.ts';

/** How long a record published while the terminal is live may take to be applied (a loaded CI machine). */
export const KNOW_MS = 4000;
/** Slack on the offline age: the decision's time is known only to between Enter and the screen. */
const AGE_SLACK_MS = 1500;

export interface Seen {
  approved: boolean;
  declined: boolean;
  firstSeen: number;
}

/** Every txId on a result screen the cashier saw, with its outcome(s). */
export function seenResults(w: World): Map<string, Seen> {
  const out = new Map<string, Seen>();
  w.sim.screens.forEach((s, i) => {
    const txId = s.screen === 'result' ? s.result?.txId : null;
    if (!txId) return;
    const seen = out.get(txId) ?? { approved: false, declined: false, firstSeen: w.sim.screenTimes[i] };
    if (s.result!.status === 'approved') seen.approved = true;
    else seen.declined = true;
    out.set(txId, seen);
  });
  return out;
}

/**
 * What the cashier saw decided in one history, by kind: sales approved online or offline (as the
 * ledger booked them), sales declined, voids approved (how dense in money a history is).
 */
export function decisions(w: World): Record<string, number> {
  const entries = ledgerOf(w)?.history() ?? [];
  const booked = new Map(entries.filter((e) => e.type !== 'reversal').map((e) => [e.txId, e]));
  const out: Record<string, number> = {};
  const count = (k: string) => (out[k] = (out[k] ?? 0) + 1);
  for (const [txId, s] of seenResults(w)) {
    const e = booked.get(txId);
    if (e?.type === 'void') count(s.approved ? 'void approved' : 'void declined');
    else if (!s.approved) count('sale declined');
    else count(e?.offline ? 'sale approved offline' : 'sale approved online');
  }
  return out;
}

/** The spans in which the terminal said it was online (screen.online), each cut short by the process's end. */
export function onlineSpans(w: World, m: Model): Span[] {
  const spans: Span[] = [];
  let cur: Span | null = null;
  w.sim.screens.forEach((s, i) => {
    const t = w.sim.screenTimes[i];
    if (s.online && !cur) {
      cur = { from: t, to: null };
      spans.push(cur);
    } else if (!s.online && cur) {
      cur.to = t;
      cur = null;
    }
  });
  // A killed process publishes no last screen: its online span ends with it.
  for (const s of spans) {
    const life = spanAt(m.alive, s.from);
    // A screen the killed process published on its way out arrives after the kill: it opens nothing.
    if (!life) s.to = s.from;
    else if (life.to !== null && (s.to === null || s.to > life.to)) s.to = life.to;
  }
  return spans;
}

/** The terminal was online for KNOW_MS after `t` and before `before`: it had the time to apply what the ledger published at `t`. */
export function knewBy(spans: Span[], t: number, before: number, ms = KNOW_MS): boolean {
  return spans.some((s) => Math.max(s.from, t) + ms <= Math.min(s.to ?? Infinity, before));
}

/**
 * How long an erasure may take once the closure reached the terminal and the disk has room: a
 * store the full disk refused is tried again with a backoff of at most 30 s (catch-up.ts).
 */
export const ERASE_MS = 40_000;
/** With room on the disk all along since the closure, the erasure is as quick as any record. */
const eraseWithin = (m: Model, c: { at: number }): number => (m.diskFreeSince <= c.at ? KNOW_MS : ERASE_MS);

const ledgerOf = (w: World): Ledger | null => w.ledger ?? w.lastLedger;

/** The decision's time, at the latest: the last Enter before its result was first seen. */
const decidedAt = (m: Model, firstSeen: number): number =>
  Math.max(-Infinity, ...m.enters.filter((e) => e <= firstSeen));

export function checkStep(w: World, m: Model): string[] {
  const v: string[] = [];
  // The daemon never exits except when killed.
  if (m.terminalUp) {
    checked(m, 'daemon alive');
    // A start on a full disk cannot open the journal: it ends with 73, as `klubkort run` does, and
    // is started again once there is room (systemd's Restart=). Any other end is a crash.
    const startRefused = w.terminal?.exit?.code === 73 && m.diskFull;
    if (w.terminal && !w.terminal.alive && !startRefused)
      v.push(`daemon-exit: the terminal exited by itself (${JSON.stringify(w.terminal.exit)}); log ${w.logFile}`);
  }
  const ledger = ledgerOf(w);
  if (!ledger) return v;
  const entries = ledger.history();
  v.push(
    ...noDoubleBooking(m, entries),
    ...offlineRules(w, m, entries),
    ...closedCardsErased(w, m),
    ...oldPhotosErased(w, m),
    ...oldPhotoShown(w, m),
  );
  return v;
}

function noDoubleBooking(m: Model, entries: LedgerEntry[]): string[] {
  const n = new Map<string, number>();
  for (const e of entries)
    if (e.type !== 'reversal') n.set(`${e.type} ${e.txId}`, (n.get(`${e.type} ${e.txId}`) ?? 0) + 1);
  checked(m, 'booked at most once', n.size);
  return [...n].filter(([, k]) => k > 1).map(([key, k]) => `double-booking: ${key} booked ${k} times`);
}

function offlineRules(w: World, m: Model, entries: LedgerEntry[]): string[] {
  const v: string[] = [];
  const seen = seenResults(w);
  const online = onlineSpans(w, m);
  const maxAge = Math.max(...m.configs.map((c) => c.offline.maxAgeSeconds)) * 1000;
  const perCard = Math.max(...m.configs.map((c) => c.offline.perCardLimit));
  const perTerminal = Math.max(...m.configs.map((c) => c.offline.terminalLimit));
  const inCut = new Map<Span, { card: Map<string, number>; all: number }>();
  for (const e of entries) {
    if (e.type !== 'sale' || !e.offline) continue;
    const s = seen.get(e.txId);
    if (!s?.approved) continue;
    const t = decidedAt(m, s.firstSeen);
    const tag = `${e.txId} (card …${e.cardUid.slice(-4)}, ${-e.amount} øre)`;
    checked(m, 'offline approval rules');
    const cut = spanAt(m.cut, t);
    if (cut && t - cut.from > maxAge + AGE_SLACK_MS) {
      v.push(
        `offline-age: ${tag} approved offline ${((t - cut.from) / 1000).toFixed(1)} s after the terminal's last possible live connection (maxAgeSeconds ${maxAge / 1000})`,
      );
    }
    if (cut && m.reboots.some((b) => b > cut.from && b < t)) {
      v.push(`offline-new-boot: ${tag} approved offline after a new boot without network and without a trusted clock`);
    }
    for (const b of m.blocked.get(e.cardUid) ?? []) {
      if (b.from < t && (b.to === null || b.to > t) && knewBy(online, b.from, t)) {
        v.push(
          `offline-blocked: ${tag} approved offline ${((t - b.from) / 1000).toFixed(1)} s after the ledger blocked or closed the card, which the terminal had the time to learn while online`,
        );
      }
    }
    if (cut) {
      const sums = inCut.get(cut) ?? { card: new Map(), all: 0 };
      inCut.set(cut, sums);
      sums.all -= e.amount;
      sums.card.set(e.cardUid, (sums.card.get(e.cardUid) ?? 0) - e.amount);
      if ((sums.card.get(e.cardUid) ?? 0) > perCard)
        v.push(
          `offline-card-limit: ${tag} makes ${sums.card.get(e.cardUid)} øre approved offline for one card without an answer possible (perCardLimit ${perCard})`,
        );
      if (sums.all > perTerminal)
        v.push(
          `offline-terminal-limit: ${tag} makes ${sums.all} øre approved offline without an answer possible (terminalLimit ${perTerminal})`,
        );
    }
  }
  return v;
}

/** The bytes of every file in the data dir (journal.db, -wal, -shm and whatever else). */
function dataDirBytes(dir: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    try {
      if (statSync(p).isFile()) out.push({ file: n, bytes: readFileSync(p) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** A secret that must leave the data dir once the terminal was online long enough after `at` with room on the disk. */
interface Secret {
  at: number;
  /** What the broken rule says, e.g. "closed-card-bytes: the name of closed card …0A11". */
  label: (what: string) => string;
  needles: [string, Buffer][];
}

/** A slice from the middle of a photo: its header is like every JPEG's. */
const photoNeedle = (photo: Buffer): Buffer => photo.subarray(photo.length >> 1, (photo.length >> 1) + 48);

/** Every secret due by now (the terminal online ERASE_MS after it with room on the disk) is in no file of the data dir. */
function erased(w: World, m: Model, secrets: Secret[], check: string): string[] {
  const now = truthNow();
  const due = secrets.filter(
    (c) => !m.diskFull && knewBy(onlineSpans(w, m), Math.max(c.at, m.diskFreeSince), now, eraseWithin(m, c)),
  );
  if (!due.length) return [];
  const files = dataDirBytes(w.dataDir);
  const v: string[] = [];
  for (const c of due) {
    for (const [what, needle] of c.needles) {
      checked(m, check);
      for (const f of files) if (f.bytes.includes(needle)) v.push(`${c.label(what)} is still in ${f.file}`);
    }
  }
  return v;
}

/** A closed card's name, note and photo bytes (and, at the end, its UID) are in no file of the data dir once due. */
function closedCardsErased(w: World, m: Model, uidToo = false): string[] {
  const secrets = m.closed.map((c): Secret => {
    const needles: [string, Buffer][] = [['name', Buffer.from(c.name)]];
    if (c.note) needles.push(['note', Buffer.from(c.note)]);
    if (c.photo) needles.push(['photo bytes', photoNeedle(c.photo)]);
    if (uidToo) needles.push(['UID', Buffer.from(c.uid)]);
    return { at: c.at, needles, label: (what) => `closed-card-bytes: the ${what} of closed card …${c.uid.slice(-4)}` };
  });
  return erased(w, m, secrets, 'closed card erased');
}

/** A replaced photo's bytes are in no file of the data dir once the new record was due at the terminal. */
function oldPhotosErased(w: World, m: Model): string[] {
  const secrets = m.photos
    .filter((p) => p.old !== null)
    .map(
      (p): Secret => ({
        at: p.at,
        needles: [['old photo bytes', photoNeedle(p.old!)]],
        label: (what) => `replaced-photo-bytes: the ${what} of card …${p.uid.slice(-4)}`,
      }),
    );
  return erased(w, m, secrets, 'replaced photo erased');
}

/**
 * No confirm screen shows a replaced photo once the terminal had the time to learn the new record
 * (online KNOW_MS after it was published): a screen counts from when it was published until the next.
 */
function oldPhotoShown(w: World, m: Model): string[] {
  const replaced = m.photos.filter((p) => p.oldSha !== null);
  // A full disk keeps the new record out (the cache is behind, fetched again once there is room):
  // as for the erasure, the time to learn it counts from when the disk was freed.
  if (!replaced.length || m.diskFull) return [];
  const online = onlineSpans(w, m);
  const { screens, screenTimes } = w.sim;
  const v: string[] = [];
  for (const p of replaced) {
    // When the terminal had, for sure, learnt the new record.
    const from = Math.max(p.at, m.diskFreeSince);
    const known = Math.min(
      ...online
        .map((s) => Math.max(s.from, from) + eraseWithin(m, p))
        .filter((t, i) => t <= (online[i].to ?? Number.POSITIVE_INFINITY)),
    );
    if (!Number.isFinite(known)) continue;
    screens.forEach((s, i) => {
      if (s.screen !== 'confirm') return;
      checked(m, 'confirm shows no replaced photo');
      const until = screenTimes[i + 1] ?? truthNow();
      // A screen the process published on its way out, or one a killed process left standing, shows nothing.
      const life = spanAt(m.alive, screenTimes[i]);
      const shownUntil = Math.min(until, life?.to ?? Number.POSITIVE_INFINITY);
      if (s.card?.photo === p.oldSha && shownUntil > known)
        v.push(
          `old-photo-shown: a confirm screen showed card …${p.uid.slice(-4)}'s replaced photo ${((shownUntil - known) / 1000).toFixed(1)} s after the terminal had the time to learn the new one`,
        );
    });
  }
  return v;
}

interface JournalSale {
  tx_id: string;
  card_uid: string | null;
  total: number;
  status: string;
}
interface JournalVoid {
  tx_id: string;
  voids: string;
  total: number;
  status: string;
}

/** After every fault healed and the queue drained: the money to the øre, erasure of UIDs, the logs. */
export async function checkEnd(w: World, m: Model): Promise<string[]> {
  // The terminal is online now (settled): give every closed card its time to be erased, then judge.
  const dueAt = Math.max(
    0,
    ...[...m.closed, ...m.photos].map((c) => Math.max(c.at, m.diskFreeSince) + eraseWithin(m, c)),
  );
  if (dueAt > truthNow()) await new Promise((r) => setTimeout(r, dueAt - truthNow() + 500));
  const v = checkStep(w, m);
  const ledger = ledgerOf(w)!;
  const entries = ledger.history();
  const seen = seenResults(w);
  const sales = new Map(
    (await readJournal<JournalSale>(w.dataDir, 'SELECT tx_id, card_uid, total, status FROM sales')).map((s) => [
      s.tx_id,
      s,
    ]),
  );
  const voids = new Map(
    (await readJournal<JournalVoid>(w.dataDir, 'SELECT tx_id, voids, total, status FROM voids')).map((s) => [
      s.tx_id,
      s,
    ]),
  );
  const net = new Map<string, number>();
  const count = new Map<string, number>();
  for (const e of entries) {
    net.set(e.txId, (net.get(e.txId) ?? 0) + e.amount);
    if (e.type !== 'reversal') count.set(e.txId, (count.get(e.txId) ?? 0) + 1);
  }
  const types = new Map<string, LedgerEntry['type']>();
  for (const e of entries) if (e.type !== 'reversal') types.set(e.txId, e.type);
  const cardOf = new Map(entries.map((e) => [e.txId, e.cardUid]));
  const expected = new Map<string, number>();
  const spend = (uid: string | null | undefined, amount: number) => {
    if (uid) expected.set(uid, (expected.get(uid) ?? 0) + amount);
  };
  for (const [txId, s] of seen) {
    checked(m, 'seen result booked as seen');
    if (s.approved && s.declined) v.push(`seen-both: ${txId} was shown approved and declined`);
    if (s.approved) {
      // The journal may have purged an answered row (retention, by the wall clock): the ledger's
      // booking then stands alone, and must still be exactly one movement, never reversed.
      const total = sales.get(txId)?.total ?? voids.get(txId)?.total;
      const sign = types.get(txId) === 'void' ? 1 : -1;
      const n = net.get(txId) ?? 0;
      if (count.get(txId) !== 1 || n === 0 || (total !== undefined && n !== sign * total)) {
        v.push(
          `approved-not-booked-once: ${types.get(txId) ?? 'sale'} ${txId} shown approved (${total ?? '?'} øre in the journal), ledger booked ${count.get(txId) ?? 0}× net ${n}`,
        );
      }
      spend(cardOf.get(txId), n);
    } else if ((net.get(txId) ?? 0) !== 0) {
      v.push(`declined-booked: ${txId} shown declined, ledger net ${net.get(txId)} øre`);
    }
  }
  for (const [txId, n] of net) {
    if (seen.get(txId)?.approved || n === 0 || seen.has(txId)) continue;
    v.push(`unseen-booked: ${txId} never shown to the cashier, ledger net ${n} øre`);
  }
  for (const [uid, start] of m.start) {
    const card = ledger.card(CLUB, uid);
    if (!card) continue; // closed: its money left with it
    checked(m, 'card balance');
    const want = start + (m.topUps.get(uid) ?? 0) + (expected.get(uid) ?? 0);
    if (card.balance !== want)
      v.push(`balance: card …${uid.slice(-4)} ledger ${card.balance} øre, what the cashier saw makes ${want} øre`);
  }
  const approvedRows = await readJournal<{ tx_id: string; items: string }>(
    w.dataDir,
    "SELECT tx_id, items FROM sales WHERE status = 'approved'",
  );
  v.push(...catalogPrices(w, m, seen, approvedRows));
  v.push(...offlineCategories(w, m, seen, entries, approvedRows));
  v.push(...cashierRules(w, m, seen, entries));
  v.push(...closedCardsErased(w, m, true), ...logLeaks(w, m));
  return v;
}

/**
 * No offline approval of an item whose category the card's parents had blocked, as the terminal
 * knew it: the block was published and the terminal online KNOW_MS after it before the sale, and no
 * unblock of that category was asked before the sale (the terminal might hold it).
 */
function offlineCategories(
  w: World,
  m: Model,
  seen: Map<string, Seen>,
  entries: LedgerEntry[],
  rows: { tx_id: string; items: string }[],
): string[] {
  const online = onlineSpans(w, m);
  const offline = new Map(entries.filter((e) => e.type === 'sale' && e.offline).map((e) => [e.txId, e.cardUid]));
  const categoryOf = (sku: string) =>
    m.catalogs.flatMap((c) => c.catalog.items).find((i) => i.sku === sku)?.category ?? null;
  const initial = new Map(demoClub().cards.map((c) => [c.cardUid, c.rules?.blockedCategories ?? []]));
  const v: string[] = [];
  for (const row of rows) {
    const uid = offline.get(row.tx_id);
    const s = seen.get(row.tx_id);
    if (!uid || !s?.approved) continue;
    const t = decidedAt(m, s.firstSeen);
    const changes = m.rules.filter((r) => r.uid === uid);
    const blockedForSure = (cat: string): boolean => {
      if (changes.some((r) => r.unblock.includes(cat) && r.from < t)) return false;
      return (
        (initial.get(uid) ?? []).includes(cat) || changes.some((r) => r.block.includes(cat) && knewBy(online, r.at, t))
      );
    };
    for (const line of JSON.parse(row.items) as { sku: string }[]) {
      const cat = categoryOf(line.sku);
      if (!cat) continue;
      checked(m, 'offline category rules');
      if (blockedForSure(cat))
        v.push(
          `offline-category: sale ${row.tx_id} (card …${uid.slice(-4)}) approved ${line.sku} offline, of category ${cat} its parents had blocked, as the terminal knew`,
        );
    }
  }
  return v;
}

/**
 * An approved sale's lines are priced by a catalog the terminal could hold when it decided: one
 * published before, and not older than the newest it had the time to learn while online (a renamed
 * or removed item leaves an open basket; a new price applies to it).
 */
function catalogPrices(
  w: World,
  m: Model,
  seen: Map<string, Seen>,
  rows: { tx_id: string; items: string }[],
): string[] {
  const online = onlineSpans(w, m);
  const v: string[] = [];
  for (const row of rows) {
    const s = seen.get(row.tx_id);
    if (!s?.approved) continue;
    const t = decidedAt(m, s.firstSeen);
    const known = m.catalogs.filter((c) => c.at === -Infinity || knewBy(online, c.at, t)).at(-1)!;
    const possible = m.catalogs.filter((c) => c.at < t && c.catalog.version >= known.catalog.version);
    for (const line of JSON.parse(row.items) as { sku: string; unitPrice: number }[]) {
      checked(m, 'priced by the catalog held');
      if (!possible.some((c) => c.catalog.items.some((i) => i.sku === line.sku && i.price === line.unitPrice))) {
        v.push(
          `catalog-price: sale ${row.tx_id} approved ${line.sku} at ${line.unitPrice} øre, which no catalog from version ${known.catalog.version} on (held by then) has`,
        );
      }
    }
  }
  return v;
}

/**
 * Cashiers (contract 1.1): a sale or void shown approved carries the cashier the screen showed at its
 * Enter (`cashier-id`; not judged when the office changed a staff card within KNOW_MS before, as the
 * screen may still show a removed cashier), and none is booked with nobody signed in while the terminal
 * knew that the ledger's config required a cashier (`cashier-required`: the newest `requireCashier`
 * asked before the decision is on, and the terminal was online KNOW_MS after it was committed).
 */
function cashierRules(w: World, m: Model, seen: Map<string, Seen>, entries: LedgerEntry[]): string[] {
  const online = onlineSpans(w, m);
  const nameOf = new Map<string, string>([
    ...demoStaff().map((s): [string, string] => [s.staffId, s.name]),
    ...m.staffAdded.map((s): [string, string] => [s.staffId, s.name]),
  ]);
  const v: string[] = [];
  for (const e of entries) {
    const s = seen.get(e.txId);
    if (e.type === 'reversal' || !s?.approved) continue;
    const t = decidedAt(m, s.firstSeen);
    const shown = m.shownCashier.find((c) => c.at === t);
    const tag = `${e.type} ${e.txId}`;
    const booked = e.cashierId === null ? null : (nameOf.get(e.cashierId) ?? e.cashierId);
    if (shown && !m.staffChanges.some((c) => c <= t && t - c < KNOW_MS)) {
      checked(m, 'cashier of the sale as shown');
      if (booked !== shown.name)
        v.push(
          `cashier-id: ${tag} was booked with cashier ${booked === null ? 'nobody' : `"${e.cashierId}"`}, the screen showed ${shown.name === null ? 'nobody' : 'another'} signed in at its Enter`,
        );
    }
    const rule = m.cashierRule.filter((c) => c.from < t).at(-1);
    if (e.type === 'sale' && rule?.on && knewBy(online, rule.at, t)) {
      checked(m, 'no sale without a cashier when required');
      if (e.cashierId === null)
        v.push(
          `cashier-required: ${tag} was booked with nobody signed in ${((t - rule.at) / 1000).toFixed(1)} s after the ledger required a cashier, which the terminal had the time to learn while online`,
        );
    }
  }
  return v;
}

/** No log line of the terminal holds a name, a note, or a whole UID (masked UIDs end in four digits). */
function logLeaks(w: World, m: Model): string[] {
  let text: string;
  try {
    text = readFileSync(w.logFile, 'utf8');
  } catch {
    return [];
  }
  const secrets: [string, string][] = [];
  for (const c of demoClub().cards) {
    secrets.push([`name of ${c.holderId}`, c.name], [`UID of ${c.holderId}`, c.cardUid]);
    if (c.rules?.note) secrets.push([`note of ${c.holderId}`, c.rules.note]);
  }
  for (const s of demoStaff()) secrets.push([`staff name ${s.staffId}`, s.name], [`staff UID ${s.staffId}`, s.cardUid]);
  for (const a of m.added) secrets.push([`name of added card`, a.name], ['UID of added card', a.uid]);
  for (const a of m.staffAdded) secrets.push([`name of added staff`, a.name], ['UID of added staff', a.uid]);
  const v: string[] = [];
  const lower = text.toLowerCase();
  for (const [what, secret] of secrets) {
    checked(m, 'log line clean');
    if (lower.includes(secret.toLowerCase())) v.push(`log-leak: the ${what} is in ${w.logFile}`);
  }
  return v;
}
