// The generator: what happens at a club, and the nemesis's faults, as fast-check commands. Each
// command's check() says when it makes sense (a broker is started only when it is down), so a
// shrunk history stays a possible one; run() does it to the real world, records it in the model and
// checks every invariant after it. A sale may carry an interlude: any other command, done while its
// confirm screen is open (a block, a catalog change, a full disk, a broker going down…).
import fc from 'fast-check';
import type { KeyName, TerminalConfigMsg } from '../contract/index.ts';
import { demoChildren, demoClub, demoStaff } from '../sim/demo-club.ts';
import { portraitJpeg, sha256Hex } from '../sim/photos.ts';
import { hostilePayloads } from '../test/helpers/hostile.ts';
import { rng, sleep } from '../test/helpers/random.ts';
import { begin, cashierRequired, checked, end, fault, truthNow, updateCut, type Model } from './model.ts';
import { text } from '../firmware/words.ts';
import { checkStep, seenResults } from './invariants.ts';
import { CLUB, TERMINAL, type World } from './world.ts';
import type { Ledger } from '../sim/reference-ledger/ledger.ts';
import type { DemoCards } from '../sim/demo-cards.ts';
import { topics } from '../contract/index.ts';

export interface Real {
  w: World;
  log: (line: string) => void;
  hand: DemoCards;
}
type Cmd = fc.AsyncCommand<Model, Real>;

/** Every invariant that can be judged now; a broken one fails the history. */
function verify(m: Model, r: Real): void {
  const broken = checkStep(r.w, m);
  if (broken.length) throw new InvariantError(broken);
}

export class InvariantError extends Error {
  override name = 'InvariantError';
  constructor(readonly broken: string[]) {
    super(broken.join('\n'));
  }
}

/** No step takes this long unless something hangs (Settle waits at most 45 s + 60 s). */
const STEP_MS = 150_000;

abstract class Step implements Cmd {
  abstract check(m: Readonly<Model>): boolean;
  abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
  /** The step's kind, for the time each kind takes in the totals. */
  kind(): string {
    return this.toString().replace(/\(.*$/, '');
  }
  async run(m: Model, r: Real): Promise<void> {
    r.log(`  ${this}`);
    const t0 = truthNow();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InvariantError([`step-hung: ${this} did not end within ${STEP_MS / 1000} s`])),
        STEP_MS,
      );
    });
    try {
      await Promise.race([this.act(m, r), hung]);
    } finally {
      clearTimeout(timer);
    }
    const took = truthNow() - t0;
    m.stepMs[this.kind()] = (m.stepMs[this.kind()] ?? 0) + took;
    verify(m, r);
  }
}

// --- the cashier ---

const children = demoChildren();
const staff = demoStaff();
/**
 * Who taps: a demo child (blocked, no money, rules; a `sun` card's UID alone is a clone), a card
 * added today, staff, a stranger, or a genuine card's chip: read afresh, its last read replayed, or
 * a forged read with its UID and the highest counter there is.
 */
export type Who =
  | { kind: 'child'; i: number }
  | { kind: 'added'; i: number }
  | { kind: 'staff'; i: number }
  | { kind: 'unknown' }
  | { kind: 'sun'; i: number; how: 'genuine' | 'replay' | 'forged' };
const sunChildren = children.filter((c) => c.auth === 'sun');
/** Children with money and a plain card (Freja, Oliver, Emil with a daily limit, Sofie with sweets blocked): most sales are theirs. */
const PAYERS = [0, 1, 5, 6];
const payerArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PAYERS).map((i) => ({ kind: 'child' as const, i })) },
  { weight: 1, arbitrary: fc.nat(1).map((i) => ({ kind: 'sun' as const, i, how: 'genuine' as const })) },
);
const whoArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 6, arbitrary: payerArb },
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: children.length - 1 }).map((i) => ({ kind: 'child' as const, i })),
  },
  { weight: 2, arbitrary: fc.nat(3).map((i) => ({ kind: 'added' as const, i })) },
  { weight: 1, arbitrary: fc.nat(staff.length - 1).map((i) => ({ kind: 'staff' as const, i })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unknown' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(sunChildren.length - 1), fc.constantFrom('genuine', 'genuine', 'replay', 'forged' as const))
      .map(([i, how]) => ({ kind: 'sun' as const, i, how: how as 'genuine' })),
  },
);
function uidOf(m: Readonly<Model>, who: Who): string {
  switch (who.kind) {
    case 'child':
      return children[who.i].uid;
    case 'added':
      return m.added.length ? m.added[who.i % m.added.length].uid : children[0].uid;
    case 'staff':
      return staff[who.i].cardUid;
    case 'sun':
      return sunChildren[who.i].uid;
    default:
      return 'DEADBEEF';
  }
}
const whoText = (who: Who) =>
  who.kind === 'unknown' ? 'unknown' : who.kind === 'sun' ? `sun#${who.i} ${who.how}` : `${who.kind}#${who.i}`;

/** Holds the card to the reader; true when it is a genuine card's fresh read (the ledger would verify it). */
async function tap(m: Readonly<Model>, r: Real, who: Who): Promise<boolean> {
  const uid = uidOf(m, who);
  if (who.kind !== 'sun') {
    await r.w.sim.tap(uid);
    return false;
  }
  const fresh = await r.hand.tap(uid);
  const msg =
    who.how === 'genuine'
      ? fresh
      : who.how === 'replay'
        ? (r.hand.replay(uid) ?? fresh)
        : { ...fresh, sun: fresh.sun && { ...fresh.sun, ctr: 0xffffff } };
  // A replay sends the read before this one: the fresh read just made is never shown, as a stolen read would not be.
  await r.w.sim.publish(topics.simReader(TERMINAL), JSON.stringify(msg));
  return who.how === 'genuine';
}

/**
 * A genuine card's fresh read is never refused card_auth, unless a forged read of it was approved
 * offline before, or declined while the disk was full and the terminal killed before the disk took
 * it (model.ts `forgedKept`: until a read of the card is approved).
 */
function genuineNotRefused(m: Model, r: Real, who: Who, fromScreen: number): void {
  if (who.kind !== 'sun') return;
  const uid = uidOf(m, who);
  const screens = r.w.sim.screens.slice(fromScreen).filter((s) => s.screen === 'result');
  for (const s of screens) {
    if (s.result?.status === 'approved' && who.how !== 'genuine') m.forgedApproved.add(uid);
    // Whether the disk took the decline is known only at a kill (the disk may fill right after Enter).
    if (s.result?.reason === 'card_auth' && who.how !== 'genuine') m.forgedUnstored.add(uid);
    if (s.result?.status === 'approved' && who.how === 'genuine') m.forgedKept.delete(uid);
    if (who.how !== 'genuine' || m.forgedApproved.has(uid) || m.forgedKept.has(uid)) continue;
    checked(m, 'genuine card not refused');
    if (s.result?.reason === 'card_auth')
      throw new InvariantError([
        `genuine-refused: a fresh read of genuine card …${uid.slice(-4)} was refused card_auth`,
      ]);
  }
}

/** Enter on a confirm or void screen: when, and which cashier the screen showed then (the sale message's cashierId). */
function enter(m: Model, r: Real): Promise<void> {
  const t = truthNow();
  m.enters.push(t);
  m.shownCashier.push({ at: t, name: r.w.sim.screen?.cashier?.name ?? null });
  return r.w.sim.key('enter');
}

/** The basket key's notice when nobody is signed in and the ledger's config requires a cashier. */
const NO_CASHIER = new Set([text('da', 'cashierRequired'), text('en', 'cashierRequired')]);
const refusedNoCashier = (r: Real): boolean =>
  r.w.sim.screen?.screen === 'idle' && NO_CASHIER.has(r.w.sim.screen.message);

async function toIdle(r: Real): Promise<void> {
  const sim = r.w.sim;
  // A notice left on idle (nobody signed in) is cleared too: the next refusal must be a new one.
  for (let i = 0; i < 4 && (sim.screen?.screen !== 'idle' || refusedNoCashier(r)); i++) {
    const before = sim.screen;
    await sim.key('escape');
    await sim.waitFor(() => sim.screen !== before, 'the next screen', 3000).catch(() => undefined);
  }
}

/** Waits for a screen; a timeout is not an error (a fault may hold the terminal), the caller goes on. A dead terminal shows nothing more. */
const waitScreen = (r: Real, pred: () => boolean, ms = 15000): Promise<boolean> =>
  Promise.race([
    r.w.sim
      .waitFor(() => pred(), 'screen', ms)
      .then(
        () => true,
        () => false,
      ),
    (r.w.terminal?.exited ?? Promise.resolve()).then(() => false),
  ]);

class Sale extends Step {
  /**
   * `interlude`: done while the confirm screen is open; `after`: done `ms` after Enter, while the
   * sale is being decided (a kill, a disk filling, a broker going away…).
   */
  constructor(
    readonly keys: KeyName[],
    readonly who: Who,
    readonly confirm: boolean,
    readonly interlude: Step | null,
    readonly after: { ms: number; step: Step } | null,
    readonly lingerMs = 0,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.terminalUp && (!this.interlude || this.interlude.check(m)) && (!this.after || this.after.step.check(m));
  }
  toString(): string {
    return `Sale(${this.keys.join('')}, ${whoText(this.who)}, ${this.confirm ? 'confirm' : 'cancel'}${this.interlude ? `, on confirm: ${this.interlude}` : ''}${this.lingerMs ? `, ${this.lingerMs} ms on confirm` : ''}${this.after && this.confirm ? `, ${this.after.ms} ms after Enter: ${this.after.step}` : ''})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const from = r.w.sim.screens.length;
    await this.sell(m, r);
    const sc = r.w.sim.screen;
    // A refusal at the tap (no money, blocked, stale…) is a decision too, with no txId and no money.
    if (r.w.sim.screens.slice(from).some((x) => x.screen === 'result' && x.result && !x.result.txId)) m.refusedAtTap++;
    r.log(
      `    → ${refusedNoCashier(r) ? 'refused: nobody signed in' : sc?.screen}${sc?.result ? ` ${sc.result.status}${sc.result.reason ? ` ${sc.result.reason}` : ''}` : ''}${sc?.online ? '' : ' (offline)'}`,
    );
  }
  async sell(m: Model, r: Real): Promise<void> {
    const sim = r.w.sim;
    await toIdle(r);
    await sim.keys(...this.keys);
    if (!(await waitScreen(r, () => sim.screen?.screen === 'basket' || refusedNoCashier(r), 8000))) return;
    if (refusedNoCashier(r)) {
      m.refusedNoCashier++;
      return;
    }
    await sim.key('enter');
    if (!(await waitScreen(r, () => sim.screen?.screen === 'tap', 8000))) return;
    const from = sim.screens.length;
    await tap(m, r, this.who);
    if (
      !(await waitScreen(
        r,
        () =>
          (sim.screen?.screen === 'confirm' && !sim.screen.view.busy) ||
          sim.screen?.screen === 'result' ||
          sim.screen?.screen === 'error',
        10000,
      ))
    )
      return;
    if (sim.screen?.screen !== 'confirm') {
      genuineNotRefused(m, r, this.who, from);
      return;
    }
    if (this.interlude) await this.interlude.run(m, r);
    // The cashier lingers (the child looks for a coin): what changed meanwhile has the time to arrive.
    if (this.lingerMs) await sleep(this.lingerMs);
    if (!this.confirm) {
      await toIdle(r);
      return;
    }
    if (!m.terminalUp || !r.w.terminal?.alive) return;
    await enter(m, r);
    if (this.after?.step.check(m)) {
      await sleep(this.after.ms);
      await this.after.step.run(m, r);
    }
    await waitScreen(r, () => sim.screen?.screen === 'result', 20000);
    await sleep(30);
    genuineNotRefused(m, r, this.who, from);
  }
}

class Void extends Step {
  constructor(readonly confirm: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.terminalUp;
  }
  toString(): string {
    return `Void(${this.confirm ? 'confirm' : 'cancel'})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const sim = r.w.sim;
    await toIdle(r);
    await sim.key('f2');
    if (
      !(await waitScreen(
        r,
        () => sim.screen?.screen === 'void' && !!sim.screen.view.void && !sim.screen.view.void.voided,
        6000,
      ))
    ) {
      await toIdle(r);
      return;
    }
    if (!this.confirm) {
      await toIdle(r);
      return;
    }
    await enter(m, r);
    await waitScreen(r, () => sim.screen?.screen === 'result', 20000);
    await sleep(30);
  }
}

/** A card tapped on idle: a balance look, a cashier signing in or out. */
class Tap extends Step {
  constructor(readonly who: Who) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.terminalUp;
  }
  toString(): string {
    return `Tap(${whoText(this.who)})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    await toIdle(r);
    await tap(m, r, this.who);
    await sleep(300);
    await toIdle(r);
  }
}

/** The reader unplugged for a while and plugged in again (a reader left unplugged would end every sale of the history). */
class ReaderOut extends Step {
  constructor(readonly ms: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.terminalUp;
  }
  toString(): string {
    return `ReaderUnplugged(${this.ms} ms)`;
  }
  async act(m: Model, r: Real): Promise<void> {
    await r.w.sim.reader('unplug');
    fault(m, 'reader unplugged');
    await sleep(this.ms);
    await r.w.sim.reader('plug');
  }
}

// --- the club office and the parents, through the ledger ---

/**
 * A change at the ledger. Its hook resolves once the broker has the records; while the club's broker
 * is down that waits for the broker, so the history goes on once the change is committed.
 */
async function office<T>(m: Model, r: Real, job: (l: Ledger) => Promise<T>): Promise<void> {
  const p = job(r.w.ledger!);
  if (m.brokerUp) {
    await p;
    return;
  }
  p.catch(() => undefined);
  await sleep(300);
}

class TopUp extends Step {
  constructor(
    readonly who: Who,
    readonly amount: number,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && this.who.kind !== 'staff' && this.who.kind !== 'unknown';
  }
  toString(): string {
    return `TopUp(${whoText(this.who)}, ${this.amount})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const uid = uidOf(m, this.who);
    if (!r.w.ledger!.card(CLUB, uid)) return;
    await office(m, r, (l) => l.topUp(CLUB, uid, this.amount));
    m.topUps.set(uid, (m.topUps.get(uid) ?? 0) + this.amount);
  }
}

class Block extends Step {
  constructor(
    readonly who: Who,
    readonly block: boolean,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && (this.who.kind === 'child' || this.who.kind === 'added');
  }
  toString(): string {
    return `${this.block ? 'Block' : 'Unblock'}(${whoText(this.who)})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const uid = uidOf(m, this.who);
    const card = r.w.ledger!.card(CLUB, uid);
    if (!card) return;
    const spans = m.blocked.get(uid) ?? [];
    m.blocked.set(uid, spans);
    if (this.block) {
      await office(m, r, (l) => l.block(CLUB, uid));
      if (card.status === 'active') begin(spans);
    } else {
      await office(m, r, (l) => l.unblock(CLUB, uid));
      end(spans);
    }
  }
}

class Close extends Step {
  constructor(readonly who: Who) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return (
      m.ledgerUp && !m.ledgerPaused && (this.who.kind === 'child' || this.who.kind === 'added') && m.closed.length < 3
    );
  }
  toString(): string {
    return `CloseCard(${whoText(this.who)})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const uid = uidOf(m, this.who);
    const card = r.w.ledger!.card(CLUB, uid);
    if (!card) return;
    const photo = photoOf(m, uid);
    const spans = m.blocked.get(uid) ?? [];
    m.blocked.set(uid, spans);
    await office(m, r, (l) => l.closeCard(CLUB, uid));
    begin(spans);
    m.closed.push({ uid, at: truthNow(), name: card.name, note: card.rules?.note ?? null, photo });
  }
}

/** A card's photo now: the last one the office set, else the one it was added or seeded with. */
function photoOf(m: Readonly<Model>, uid: string): Buffer | null {
  const set = m.photos.filter((p) => p.uid === uid).at(-1);
  if (set) return set.now;
  return demoClub().cards.find((c) => c.cardUid === uid)?.photo ?? m.added.find((a) => a.uid === uid)?.photo ?? null;
}

/** The office replaces a child's photo (a new school photo), also while a confirm screen of that child is open. */
let photoSerial = 0;
class PhotoChange extends Step {
  constructor(readonly who: Who) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && this.who.kind !== 'staff' && this.who.kind !== 'unknown';
  }
  toString(): string {
    return `PhotoChange(${whoText(this.who)})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const uid = uidOf(m, this.who);
    if (!r.w.ledger!.card(CLUB, uid)) return;
    const old = photoOf(m, uid);
    const now = portraitJpeg(`explore-photo-${++photoSerial}`);
    await office(m, r, (l) => l.setPhoto(CLUB, uid, now));
    m.photos.push({ uid, at: truthNow(), old, oldSha: old && sha256Hex(old), now });
  }
}

let addedSerial = 0;
class AddCard extends Step {
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && m.added.length < 4;
  }
  toString(): string {
    return 'AddCard';
  }
  async act(m: Model, r: Real): Promise<void> {
    const n = ++addedSerial;
    const uid = `04EE${(0xa0000 + n).toString(16).toUpperCase()}${(m.added.length + 16).toString(16).toUpperCase()}`
      .padEnd(14, '0')
      .slice(0, 14);
    const name = `Explorer Barn${n} Testesen`;
    const photo = portraitJpeg(`explore-${n}`);
    await office(m, r, (l) => l.addCard(CLUB, { cardUid: uid, holderId: `explore-${n}`, name, balance: 30000, photo }));
    m.added.push({ uid, name, photo });
    m.start.set(uid, 30000);
  }
}

class Rules extends Step {
  constructor(
    readonly who: Who,
    readonly change: { dailyLimit?: number | null; block?: string[]; unblock?: string[]; note?: string | null },
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && (this.who.kind === 'child' || this.who.kind === 'added');
  }
  toString(): string {
    return `Rules(${whoText(this.who)}, ${JSON.stringify(this.change)})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const uid = uidOf(m, this.who);
    if (!r.w.ledger!.card(CLUB, uid)) return;
    const from = truthNow();
    await office(m, r, (l) => l.setRules(CLUB, uid, this.change));
    if (this.change.block || this.change.unblock)
      m.rules.push({ uid, from, at: truthNow(), block: this.change.block ?? [], unblock: this.change.unblock ?? [] });
  }
}

class CatalogChange extends Step {
  constructor(
    readonly how: 'price' | 'rename' | 'remove',
    readonly index: number,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused;
  }
  toString(): string {
    return `Catalog(${this.how} item ${this.index})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const current = demoClub().catalog;
    const version = (catalogVersion.get(r.w) ?? current.version) + 1;
    catalogVersion.set(r.w, version);
    const items = current.items.map((it) => ({ ...it }));
    const i = this.index % items.length;
    if (this.how === 'price') items[i].price = Math.min(19900, items[i].price + 500 * version);
    else if (this.how === 'rename') items[i].sku = `${items[i].sku}-v${version}`;
    else items.splice(i, 1);
    await office(m, r, (l) => l.setCatalog(CLUB, { version, items }));
    m.catalogs.push({ at: truthNow(), catalog: { version, items } });
  }
}
const catalogVersion = new WeakMap<World, number>();

class Config extends Step {
  constructor(readonly cfg: TerminalConfigMsg) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused;
  }
  toString(): string {
    return `Config(${JSON.stringify(this.cfg.offline)})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    // The config topic is one record: a new one keeps the requireCashier the office set.
    const cfg = cashierRequired(m) ? { ...this.cfg, requireCashier: true } : this.cfg;
    m.configs.push(cfg);
    await office(m, r, (l) => l.setTerminalConfig(TERMINAL, cfg));
  }
}

/** The office turns `requireCashier` on or off in the terminal's config: nothing is sold while nobody is signed in. */
class RequireCashier extends Step {
  constructor(readonly on: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && cashierRequired(m) !== this.on;
  }
  toString(): string {
    return `RequireCashier(${this.on})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const { requireCashier: _, ...rest } = m.configs.at(-1)!;
    const cfg = this.on ? { ...rest, requireCashier: true } : rest;
    m.configs.push(cfg);
    const from = truthNow();
    await office(m, r, (l) => l.setTerminalConfig(TERMINAL, cfg));
    m.cashierRule.push({ from, at: truthNow(), on: this.on });
  }
}

/** The staff cards there are: the demo's and those the office added (removed ones too: their card still exists). */
const staffCards = (m: Readonly<Model>): { uid: string; name: string }[] => [
  ...staff.map((s) => ({ uid: s.cardUid, name: s.name })),
  ...m.staffAdded,
];

/**
 * A cashier signs in (their staff card tapped on idle; a tap of the one signed in would sign them
 * out, so it is not tapped again) or the one signed in signs out (the same card tapped again).
 */
class Cashier extends Step {
  constructor(
    readonly how: 'in' | 'out',
    readonly i: number,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.terminalUp;
  }
  toString(): string {
    return this.how === 'in' ? `SignIn(staff#${this.i})` : 'SignOut';
  }
  async act(m: Model, r: Real): Promise<void> {
    const sim = r.w.sim;
    await toIdle(r);
    const now = sim.screen?.cashier?.name ?? null;
    const cards = staffCards(m);
    const card = this.how === 'in' ? cards[this.i % cards.length] : cards.find((c) => c.name === now);
    if (!card || (this.how === 'in' && card.name === now)) {
      r.log(`    (${now === null ? 'nobody' : 'that cashier'} signed in already)`);
      return;
    }
    await sim.tap(card.uid);
    const changed = await waitScreen(r, () => (sim.screen?.cashier?.name ?? null) !== now, 5000);
    r.log(
      `    → cashier: ${sim.screen?.cashier ? sim.screen.cashier.role : 'nobody'}${changed ? '' : ` (unchanged; screen ${sim.screen?.screen}: ${sim.screen?.message})`}`,
    );
  }
}

/** The office adds a staff card (a new cashier) or takes one back: the roster changes, also under an open basket. */
let staffSerial = 0;
class StaffChange extends Step {
  constructor(
    readonly add: boolean,
    readonly i: number,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.ledgerUp && !m.ledgerPaused && (!this.add || m.staffAdded.length < 3);
  }
  toString(): string {
    return this.add ? 'StaffAdded' : `StaffRemoved(#${this.i})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    if (this.add) {
      const n = ++staffSerial;
      const uid = `04CA${(0xb0000 + n).toString(16).toUpperCase()}`.padEnd(14, '0').slice(0, 14);
      const name = `Explorer Voksen${n} Hansen`;
      await office(m, r, (l) =>
        l.addStaff(CLUB, { cardUid: uid, staffId: `explore-staff-${n}`, name, role: 'cashier' }),
      );
      m.staffAdded.push({ uid, name, staffId: `explore-staff-${n}` });
      m.staffChanges.push(truthNow());
      return;
    }
    const all = r.w.ledger!.staff(CLUB);
    if (!all.length) return;
    const uid = all[this.i % all.length].cardUid;
    m.staffChanges.push(truthNow());
    await office(m, r, (l) => l.removeStaff(CLUB, uid));
    m.staffChanges.push(truthNow());
  }
}

/**
 * One moment of a club day, several steps in a row (the ledger going away while sales go on, a
 * forged read then the genuine card…): the faults that need an order reach the terminal in it.
 * Each step is done if it still makes sense then.
 */
class Moment extends Step {
  constructor(
    readonly name: string,
    readonly steps: Step[],
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return this.steps[0].check(m);
  }
  toString(): string {
    return `${this.name}[${this.steps.join('; ')}]`;
  }
  override kind(): string {
    return this.name;
  }
  async act(m: Model, r: Real): Promise<void> {
    for (const s of this.steps) if (s.check(m)) await s.run(m, r);
  }
}

// --- the nemesis ---

/** The terminal switched off and its journal copied aside (a technician's backup), then on again. */
class JournalBackup extends Step {
  check(m: Readonly<Model>): boolean {
    return m.terminalUp && !m.diskFull;
  }
  toString(): string {
    return 'JournalBackup';
  }
  async act(m: Model, r: Real): Promise<void> {
    await r.w.killTerminal();
    killed(m);
    end(m.alive);
    fault(m, 'terminal killed');
    r.w.backupJournal();
    m.backupAt = truthNow();
    await r.w.startTerminal();
    begin(m.alive);
    await waitReady(r);
  }
}

/**
 * The backup put back in place of the journal and the terminal started on it (docs/deploy.md says
 * never; the terminal must still not book twice nor lose a sale shown approved). Only when what a
 * restore cannot help losing is not at stake: every sale shown approved since is booked already, and
 * no card was blocked or closed, nor the catalog changed, since the backup (the restored cache
 * would hold the old record until the ledger publishes the card again).
 */
class JournalRestore extends Step {
  check(m: Readonly<Model>): boolean {
    return m.terminalUp && !m.diskFull && m.backupAt !== null;
  }
  toString(): string {
    return 'JournalRestore';
  }
  async act(m: Model, r: Real): Promise<void> {
    const since = m.backupAt!;
    const ledger = r.w.ledger ?? r.w.lastLedger;
    const booked = new Set((ledger?.history() ?? []).filter((e) => e.type !== 'reversal').map((e) => e.txId));
    const unbooked = [...seenResults(r.w)].some(([txId, s]) => s.approved && !booked.has(txId));
    const changed =
      m.closed.some((c) => c.at > since) ||
      [...m.blocked.values()].some((spans) => spans.some((b) => b.from > since || (b.to !== null && b.to > since))) ||
      m.catalogs.some((c) => c.at > since) ||
      m.photos.some((p) => p.at > since) ||
      m.rules.some((x) => x.from > since);
    if (unbooked || changed) {
      r.log(
        `    (not restored: ${unbooked ? 'a sale shown approved is not booked yet' : 'cards or catalog changed since the backup'})`,
      );
      return;
    }
    await r.w.killTerminal();
    killed(m);
    end(m.alive);
    fault(m, 'journal restored');
    r.w.restoreJournal();
    await r.w.startTerminal();
    begin(m.alive);
    await waitReady(r);
  }
}

/** A second daemon started on the running terminal's data dir: the data-dir lock must refuse it at once. */
class SecondDaemon extends Step {
  check(m: Readonly<Model>): boolean {
    return m.terminalUp;
  }
  toString(): string {
    return 'SecondDaemon';
  }
  async act(m: Model, r: Real): Promise<void> {
    if (!r.w.terminal?.alive) return;
    fault(m, 'second daemon');
    checked(m, 'second daemon refused');
    const exit = await r.w.secondDaemon(20_000);
    if (!exit || exit.code === 0)
      throw new InvariantError([
        `two-daemons: a second daemon on the data dir ${exit ? 'exited 0' : 'still ran after 20 s'} (the lock must refuse it)`,
      ]);
  }
}

/** A kill takes from memory the declines the disk has not taken yet (unrecorded.ts retries within a second of room). */
function killed(m: Model): void {
  if (m.diskFull || truthNow() - m.diskFreeSince < 3000) for (const uid of m.forgedUnstored) m.forgedKept.add(uid);
  // Else the decline is on disk (or its answer stored): its counter is forgotten.
  if (!m.diskFull) m.forgedUnstored.clear();
}

async function crash(m: Model, r: Real): Promise<void> {
  await r.w.killTerminal();
  killed(m);
  end(m.alive);
  fault(m, 'terminal killed');
  await r.w.startTerminal();
  begin(m.alive);
  await waitReady(r);
}

/** The new process's first screen (a recovered result or idle), so that what it shows is seen before the next step. */
async function waitReady(r: Real): Promise<void> {
  const n = r.w.sim.screens.length;
  const exited = r.w.terminal?.exited ?? Promise.resolve();
  await Promise.race([
    exited,
    waitScreen(
      r,
      () => r.w.sim.screens.length > n && ['idle', 'result', 'error'].includes(r.w.sim.screen?.screen ?? ''),
      30000,
    ),
  ]);
  await sleep(100);
}

class Kill extends Step {
  constructor(readonly restart: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.terminalUp;
  }
  toString(): string {
    return this.restart ? 'Crash(SIGKILL, restart)' : 'PowerOff(SIGKILL)';
  }
  async act(m: Model, r: Real): Promise<void> {
    if (this.restart) {
      await crash(m, r);
      return;
    }
    await r.w.killTerminal();
    killed(m);
    end(m.alive);
    fault(m, 'terminal killed');
    m.terminalUp = false;
  }
}

class PowerOn extends Step {
  constructor(readonly newBoot: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return !m.terminalUp;
  }
  toString(): string {
    return this.newBoot ? 'PowerOn(new boot)' : 'PowerOn(same boot)';
  }
  async act(m: Model, r: Real): Promise<void> {
    if (this.newBoot) {
      await r.w.reboot();
      m.reboots.push(truthNow());
      fault(m, 'new boot');
    }
    await r.w.startTerminal();
    m.terminalUp = true;
    begin(m.alive);
    await waitReady(r);
  }
}

class Disk extends Step {
  constructor(readonly full: boolean) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.diskFull !== this.full;
  }
  toString(): string {
    return this.full ? 'DiskFull' : 'DiskFree';
  }
  async act(m: Model, r: Real): Promise<void> {
    if (this.full) {
      r.w.fillDisk();
      fault(m, 'disk full');
    } else {
      r.w.freeDisk();
      m.diskFreeSince = truthNow();
    }
    m.diskFull = this.full;
    // A start the full disk refused (exit 73) is tried again now, as systemd would.
    if (!this.full && m.terminalUp && !r.w.terminal?.alive) {
      await r.w.startTerminal();
      await waitReady(r);
    }
  }
}

class Broker extends Step {
  constructor(readonly how: 'stop' | 'start' | 'refuse' | 'drop') {
    super();
  }
  check(m: Readonly<Model>): boolean {
    switch (this.how) {
      case 'stop':
        return m.brokerUp;
      case 'start':
        return !m.brokerUp || m.refusing;
      case 'refuse':
        return !m.refusing;
      default:
        return m.brokerUp && !m.refusing && m.terminalUp;
    }
  }
  toString(): string {
    return `Broker(${this.how})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    switch (this.how) {
      case 'stop':
        await r.w.brokerStop();
        m.brokerUp = false;
        break;
      case 'start':
        await r.w.brokerStart(false);
        m.brokerUp = true;
        m.refusing = false;
        break;
      case 'refuse':
        await r.w.brokerStart(true);
        m.brokerUp = true;
        m.refusing = true;
        break;
      default:
        await r.w.dropTerminal();
    }
    if (this.how !== 'start') fault(m, `broker ${this.how}`);
    updateCut(m);
  }
}

class LedgerFault extends Step {
  constructor(readonly how: 'stop' | 'start' | 'pause' | 'resume' | 'slow' | 'fast') {
    super();
  }
  check(m: Readonly<Model>): boolean {
    switch (this.how) {
      // The reference ledger's stop, start and resume wait for its broker (a stop for its last publishes).
      case 'stop':
        return m.ledgerUp && m.brokerUp;
      case 'start':
        return !m.ledgerUp && m.brokerUp;
      case 'pause':
        return m.ledgerUp && !m.ledgerPaused;
      case 'resume':
        return m.ledgerUp && m.ledgerPaused && m.brokerUp;
      default:
        return m.ledgerUp;
    }
  }
  toString(): string {
    return `Ledger(${this.how})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    switch (this.how) {
      // A clean stop says offline on the retained status, if the broker is there to keep it.
      case 'stop':
        await r.w.stopLedger();
        m.ledgerUp = false;
        m.ledgerPaused = false;
        m.ledgerSaysOffline ||= m.brokerUp;
        break;
      case 'start':
        await r.w.startLedger();
        m.ledgerUp = true;
        m.ledgerSaysOffline = false;
        break;
      case 'pause':
        await r.w.pauseLedger();
        m.ledgerPaused = true;
        break;
      case 'resume':
        await r.w.resumeLedger();
        m.ledgerPaused = false;
        break;
      case 'slow':
        r.w.ledger!.setReplyDelay(1500);
        break;
      case 'fast':
        r.w.ledger!.setReplyDelay(0);
        break;
    }
    if (this.how !== 'start' && this.how !== 'resume' && this.how !== 'fast') fault(m, `ledger ${this.how}`);
    updateCut(m);
  }
}

const HOUR = 3_600_000;
class ClockStep extends Step {
  constructor(readonly ms: number) {
    super();
  }
  check(): boolean {
    return true;
  }
  toString(): string {
    return `ClockStep(${this.ms / HOUR} h)`;
  }
  async act(m: Model, r: Real): Promise<void> {
    r.w.stepClock(this.ms);
    fault(m, Math.abs(this.ms) >= 24 * HOUR ? 'clock step (years)' : 'clock step (hours)');
  }
}

class Hostile extends Step {
  constructor(
    readonly seed: number,
    readonly n: number,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.brokerUp && m.ledgerUp;
  }
  toString(): string {
    return `Hostile(${this.n} payloads, seed ${this.seed})`;
  }
  async act(m: Model, r: Real): Promise<void> {
    const ledger = r.w.ledger!;
    const cards = ledger.cards(CLUB);
    if (!cards.length) return;
    const catalog = { version: 1, items: demoClub().catalog.items };
    const msgs = hostilePayloads(
      rng(this.seed),
      { clubId: CLUB, terminalId: TERMINAL, cards, catalog, queuedOfflineTxId: '00000000-0000-4000-8000-000000000000' },
      this.n,
    );
    // The simulator's own topics are on the simulator's broker; the rest on the club's.
    await r.w.publish(msgs.filter((h) => h.expect !== 'sim'));
    for (const h of msgs.filter((x) => x.expect === 'sim')) await r.w.sim.publish(h.topic, h.payload);
    fault(m, 'hostile payloads');
    await sleep(200);
  }
}

/** Real time passes (offline ages grow, resends fire). */
class Wait extends Step {
  constructor(readonly ms: number) {
    super();
  }
  check(): boolean {
    return true;
  }
  toString(): string {
    return `Wait(${this.ms} ms)`;
  }
  async act(): Promise<void> {
    await sleep(this.ms);
  }
}

/** Every fault healed; the terminal online again and its queue drained within bounded times. */
export class Settle extends Step {
  check(): boolean {
    return true;
  }
  toString(): string {
    return 'Settle';
  }
  async act(m: Model, r: Real): Promise<void> {
    await settle(m, r);
  }
}

export const ONLINE_WITHIN_MS = 45_000;
export const DRAINED_WITHIN_MS = 60_000;

export async function settle(m: Model, r: Real): Promise<void> {
  const w = r.w;
  await w.heal();
  if (!m.terminalUp) begin(m.alive);
  Object.assign(m, {
    terminalUp: true,
    brokerUp: true,
    refusing: false,
    ledgerUp: true,
    ledgerPaused: false,
    ledgerSaysOffline: false,
    readerPlugged: true,
  });
  if (m.diskFull) m.diskFreeSince = truthNow();
  m.diskFull = false;
  w.ledger!.setReplyDelay(0);
  await w.sim.reader('plug');
  updateCut(m);
  checked(m, 'online again after the faults');
  const t0 = truthNow();
  // A result screen does not repaint when the link comes back: leave it, then wait for an online screen.
  await toIdle(r);
  if (
    !(await w.sim
      .waitFor(() => w.sim.screen?.online, 'online', ONLINE_WITHIN_MS)
      .then(
        () => true,
        () => false,
      ))
  ) {
    throw new InvariantError([
      `not-online: the terminal was not online ${ONLINE_WITHIN_MS / 1000} s after every fault healed (screen: ${w.sim.screen?.screen}, ${w.sim.screen?.message})`,
    ]);
  }
  checked(m, 'queue drained after the faults');
  for (;;) {
    if ((await w.outboxSize()) === 0) break;
    if (truthNow() - t0 > DRAINED_WITHIN_MS)
      throw new InvariantError([
        `not-drained: ${await w.outboxSize()} message(s) still queued ${DRAINED_WITHIN_MS / 1000} s after every fault healed`,
      ]);
    await sleep(200);
  }
  await sleep(300); // the last answers' screens
}

// --- the arbitraries ---

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const satisfies readonly KeyName[];
const keysArb = fc.array(fc.constantFrom(...DIGITS), { minLength: 1, maxLength: 3 });

const faultArbs: fc.Arbitrary<Step>[] = [
  fc.boolean().map((restart) => new Kill(restart)),
  fc.boolean().map((b) => new PowerOn(b)),
  fc.boolean().map((b) => new Disk(b)),
  fc.constantFrom('stop', 'start', 'refuse', 'drop' as const).map((h) => new Broker(h as 'stop')),
  fc.constantFrom('stop', 'start', 'pause', 'resume', 'slow', 'fast' as const).map((h) => new LedgerFault(h as 'stop')),
  fc.constantFrom(-2, -1, 1, 3, -24 * 365, 24 * 365 * 2).map((h) => new ClockStep(h * HOUR)),
  fc.integer({ min: 1, max: 3 }).map((s) => new ReaderOut(s * 1000)),
];
const officeArbs: fc.Arbitrary<Step>[] = [
  fc.tuple(whoArb, fc.constantFrom(500, 2000, 10000)).map(([w, a]) => new TopUp(w, a)),
  fc.tuple(whoArb, fc.boolean()).map(([w, b]) => new Block(w, b)),
  whoArb.map((w) => new Close(w)),
  whoArb.map((w) => new PhotoChange(w)),
  fc.constant(new AddCard()),
  fc
    .tuple(
      whoArb,
      fc.oneof(
        fc.constantFrom(null, 1000, 3000).map((d) => ({ dailyLimit: d })),
        fc.constantFrom('slik', 'mad', 'drikke').map((c) => ({ block: [c] })),
        fc.constantFrom('slik', 'mad', 'drikke').map((c) => ({ unblock: [c] })),
        fc.constantFrom('Ingen gluten — spørg Mette', null).map((n) => ({ note: n })),
      ),
    )
    .map(([w, c]) => new Rules(w, c)),
  fc
    .tuple(fc.constantFrom('price', 'rename', 'remove' as const), fc.nat(10))
    .map(([h, i]) => new CatalogChange(h as 'price', i)),
  fc
    .tuple(fc.constantFrom(2000, 10000), fc.constantFrom(5000, 300000), fc.constantFrom(6, 20, 86400))
    .map(
      ([perCardLimit, terminalLimit, maxAgeSeconds]) =>
        new Config({ maxPurchase: 19999, offline: { perCardLimit, terminalLimit, maxAgeSeconds } }),
    ),
];

/** A sale: 1–3 keys, a card, confirmed most often, sometimes with an interlude on confirm or a fault while it is decided. */
function saleArb(
  who: fc.Arbitrary<Who> = whoArb,
  interludes: fc.Arbitrary<Step>[] = [...faultArbs, ...officeArbs],
  after: fc.Arbitrary<Step> | null = null,
): fc.Arbitrary<Sale> {
  const interlude = fc.option(fc.oneof(...interludes), { freq: 4 });
  // One in three has a fault while it is being decided, most often a kill or a disk filling.
  const during =
    after ??
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(new Kill(true)) },
      { weight: 2, arbitrary: fc.constant(new Disk(true)) },
      { weight: 4, arbitrary: fc.oneof(...faultArbs) },
    );
  const aft = fc.option(fc.record({ ms: fc.integer({ min: 0, max: 800 }), step: during }), { freq: 3 });
  return fc
    .tuple(
      keysArb,
      who,
      fc.nat(6).map((n) => n > 0),
      interlude,
      aft,
      fc.boolean(),
    )
    .map(
      ([keys, w, confirm, inter, a, linger]) =>
        // The cashier lingers on confirm only when something happens meanwhile (it has the time to arrive).
        new Sale(keys, w, confirm, inter, a, inter && linger ? 5000 : 0),
    );
}
const confirmed = (who: fc.Arbitrary<Who> = whoArb) =>
  fc.tuple(keysArb, who).map(([keys, w]) => new Sale(keys, w, true, null, null));
const childArb = fc.integer({ min: 0, max: children.length - 1 }).map((i) => ({ kind: 'child' as const, i }));

/**
 * Moments: faults that need an order (the ledger away while sales go on, a restart meanwhile; a
 * forged read, then the genuine card offline; a decline while the disk fills; a clock step while
 * sales are queued; a closure with the disk full; the office changing things under an open basket).
 */
function momentArbs(): fc.Arbitrary<Step>[] {
  const away = fc.constantFrom<Step>(new LedgerFault('stop'), new LedgerFault('pause'), new Broker('stop'));
  const back = (a: Step): Step =>
    a instanceof Broker ? new Broker('start') : new LedgerFault((a as LedgerFault).how === 'stop' ? 'start' : 'resume');
  const ledgerAway = fc
    .tuple(
      away,
      fc.array(
        fc.oneof(
          { weight: 5, arbitrary: confirmed(payerArb) },
          // A restart while the ledger is away (its offline age must survive it) and time passing.
          { weight: 2, arbitrary: fc.constant(new Kill(true)) },
          { weight: 2, arbitrary: fc.integer({ min: 3, max: 9 }).map((s) => new Wait(s * 1000)) },
        ),
        { minLength: 2, maxLength: 6 },
      ),
      // Mostly back at the moment's end: an away ledger makes every later sale stale.
      fc.nat(3).map((n) => n > 0),
    )
    .map(([a, steps, comeBack]) => new Moment('LedgerAway', [a, ...steps, ...(comeBack ? [back(a)] : [])]));
  const forged = fc
    .tuple(fc.nat(sunChildren.length - 1), fc.option(away, { freq: 4 }), keysArb, keysArb, fc.boolean())
    .map(
      ([i, a, k1, k2, replay]) =>
        new Moment('ForgedThenGenuine', [
          new Sale(k1, { kind: 'sun', i, how: replay ? 'replay' : 'forged' }, true, null, null),
          ...(a ? [a] : []),
          new Sale(k2, { kind: 'sun', i, how: 'genuine' }, true, null, null),
          ...(a ? [back(a)] : []),
        ]),
    );
  const slowDecline = fc
    .tuple(
      fc.constantFrom<Step>(new LedgerFault('slow'), new LedgerFault('pause')),
      keysArb,
      childArb,
      fc.integer({ min: 0, max: 700 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(
      ([slow, keys, who, ms, wait]) =>
        new Moment('DeclineOnFullDisk', [
          slow,
          new Sale(keys, who, true, null, { ms, step: new Disk(true) }),
          new Wait(wait * 1000 + 200),
          new Disk(false),
          (slow as LedgerFault).how === 'slow' ? new LedgerFault('fast') : new LedgerFault('resume'),
        ]),
    );
  const clock = fc.constantFrom(-2, -1, 1, 3, -24 * 365, 24 * 365 * 2).map((h) => new ClockStep(h * HOUR));
  const queuedClock = fc
    .tuple(away, fc.array(confirmed(payerArb), { minLength: 1, maxLength: 3 }), clock, fc.integer({ min: 1, max: 4 }))
    .map(
      ([a, sales, step, wait]) =>
        new Moment('ClockStepWhileQueued', [a, ...sales, step, back(a), new Wait(wait * 1000)]),
    );
  const closeFull = fc
    .tuple(keysArb, childArb, fc.constantFrom('before', 'after', 'none'), fc.boolean())
    .map(
      ([keys, who, full, kill]) =>
        new Moment('CloseOnFullDisk', [
          new Sale(keys, who, true, null, null),
          ...(full === 'before' ? [new Disk(true)] : []),
          new Close(who),
          ...(full === 'after' ? [new Disk(true)] : []),
          ...(kill ? [new Kill(true)] : []),
          new Wait(1500),
          new Disk(false),
        ]),
    );
  const underBasket = saleArb(
    whoArb,
    [
      fc
        .tuple(fc.constantFrom('price', 'rename', 'remove' as const), fc.nat(10))
        .map(([h, i]) => new CatalogChange(h as 'price', i)),
      fc.constantFrom('slik', 'mad', 'drikke').chain((c) => whoArb.map((w) => new Rules(w, { block: [c] }))),
      whoArb.map((w) => new Block(w, true)),
      fc.tuple(fc.boolean(), fc.nat(3)).map(([a, i]) => new StaffChange(a, i)),
    ],
    null,
  ).filter((x) => x.interlude !== null);
  // A shift with requireCashier: signed in, sales; signed out (or a restart, which signs out), a sale
  // that must be refused; signed in again, a sale. A void on the way (only its seller or a lead may).
  const shift = fc
    .tuple(
      fc.nat(3),
      fc.array(confirmed(payerArb), { minLength: 1, maxLength: 3 }),
      fc.constantFrom<Step>(new Cashier('out', 0), new Kill(true)),
      confirmed(payerArb),
      fc.nat(3),
      fc.option(
        fc.boolean().map((b) => new Void(b)),
        { freq: 3 },
      ),
      confirmed(payerArb),
    )
    .map(
      ([i, sales, out, refused, j, voids, last]) =>
        new Moment('CashierShift', [
          new RequireCashier(true),
          // The terminal's time to learn the rule, so that the shift's sales are judged by cashier-required.
          new Wait(4500),
          new Cashier('in', i),
          ...sales,
          out,
          refused,
          new Cashier('in', j),
          ...(voids ? [voids] : []),
          last,
        ]),
    );
  // A child's photo replaced while the child's confirm screen is open (a child with money, so that it
  // opens; the cashier lingers: the new record has the time to arrive), maybe with the disk full or
  // the terminal restarted after, then the child's confirm screen again.
  const photoUnderConfirm = fc
    .tuple(keysArb, payerArb, fc.boolean(), fc.constantFrom<Step | null>(null, new Disk(true), new Kill(true)))
    .map(
      ([keys, who, confirm, then]) =>
        new Moment('PhotoUnderConfirm', [
          new Sale(keys, who, confirm, new PhotoChange(who), null, 5000),
          ...(then ? [then, new Wait(1500), new Disk(false)] : []),
          new Sale(keys, who, false, null, null),
        ]),
    );
  return [
    ledgerAway,
    ledgerAway,
    ledgerAway,
    forged,
    forged,
    slowDecline,
    queuedClock,
    closeFull,
    underBasket,
    shift,
    photoUnderConfirm,
  ];
}

/** Every command, weighted: mostly sales (alone or in moments), faults often, the office now and then. */
export function commandArbs(): fc.Arbitrary<Cmd>[] {
  const sale = saleArb();
  return [
    ...Array.from({ length: 10 }, () => sale),
    fc.boolean().map((b) => new Void(b)),
    whoArb.map((w) => new Tap(w)),
    ...faultArbs,
    fc.constant(new SecondDaemon()),
    fc.constant(new JournalBackup()),
    fc.constant(new JournalRestore()),
    ...officeArbs,
    fc.tuple(fc.boolean(), fc.nat(3)).map(([a, i]) => new StaffChange(a, i)),
    // Cashiers: requireCashier on and off, sign-ins (often: with it on, nothing sells without one), sign-outs.
    fc.boolean().map((on) => new RequireCashier(on)),
    fc.nat(4).map((i) => new Cashier('in', i)),
    fc.nat(4).map((i) => new Cashier('in', i)),
    fc.constant(new Cashier('out', 0)),
    fc.integer({ min: 1, max: 8 }).map((s) => new Wait(s * 1000)),
    fc.constant(new Settle()),
    fc.tuple(fc.integer(), fc.integer({ min: 1, max: 30 })).map(([s, n]) => new Hostile(s, n)),
    ...momentArbs(),
  ];
}
