// The simulator's own controls on the cashier screen (only for `npm run sim`): letter keys, which
// are never cashier keys, tap one of the club's cards, pull it away, unplug the reader, cut the
// ledger off (its line says whether it runs).
import { COLORS, fit, width, type Canvas, type Rect } from './draw/canvas.ts';
import { labels, type Labels, type Lang } from './labels.ts';
import type { Overlay } from './draw-context.ts';
import type { KeyPress } from './console-screen.ts';

/** A card the simulator can hold to the reader. */
export interface SimCard {
  uid: string;
  /** The holder's name (unused for an `unknown` card). */
  label: string;
  /** A staff card, which signs its holder in and out on idle. */
  role?: 'cashier' | 'lead';
  sun?: boolean;
  blocked?: boolean;
  /** A card the club never issued. */
  unknown?: boolean;
}

export interface SimPanelActions {
  /** Read at every key and draw: the list follows the ledger's cards (added, closed, blocked). */
  readonly cards: readonly SimCard[];
  tap(uid: string): void;
  /** 1.1, for a `sun` card: tap a clone of it (same UID, no SUN), or replay its last SUN (false: none yet). */
  clone?(uid: string): void;
  replay?(uid: string): boolean;
  remove(): void;
  togglePlug(): void;
  /** `l`: cuts the ledger off (it stops answering, its status still `online`) or lets it run again. */
  toggleLedger(): void;
  /** Read at every draw: the ledger runs (false: cut off by `l`). */
  readonly ledgerRunning: boolean;
  /** `q`: ends the simulator (broker, ledger and terminal). */
  quit?(): void;
}

export class SimPanel implements Overlay {
  readonly rows = 1;
  #open = false;
  #selected = 0;
  /** The last thing done, shown on the panel's line as feedback. */
  #note: ((l: Labels) => string) | null = null;

  constructor(
    private readonly actions: SimPanelActions,
    private readonly changed: () => void,
  ) {}

  get open(): boolean {
    return this.#open;
  }

  /**
   * Takes the panel's letters (k, r, u, l, q) and, while the list is open, every key (so a digit
   * picks a child instead of adding an item). Returns true when the key was the panel's.
   */
  handle(ch: string | undefined, key: KeyPress): boolean {
    const cards = this.actions.cards;
    const name = key.name ?? ch ?? '';
    if (this.#open) {
      if (ch !== undefined && /^[1-9]$/.test(ch) && Number(ch) <= cards.length) this.#tap(Number(ch) - 1);
      else if (name === 'up') this.#selected = Math.max(0, this.#selected - 1);
      else if (name === 'down') this.#selected = Math.min(cards.length - 1, this.#selected + 1);
      else if (name === 'enter' && cards.length > 0) this.#tap(this.#selected);
      else if ((name === 'c' || name === 'p') && cards[this.#selected]?.sun)
        this.#attack(this.#selected, name === 'c' ? 'clone' : 'replay');
      else if (name === 'escape' || name === 'k') this.#open = false;
      this.changed();
      return true;
    }
    switch (key.ctrl || key.meta ? '' : name) {
      case 'k':
        this.#open = true;
        this.#selected = Math.min(this.#selected, Math.max(0, cards.length - 1));
        break;
      case 'r':
        this.actions.remove();
        this.#note = (l) => l.simRemove;
        break;
      case 'u':
        this.actions.togglePlug();
        this.#note = (l) => l.simPlug;
        break;
      case 'l': {
        this.actions.toggleLedger();
        const running = this.actions.ledgerRunning;
        this.#note = (l) => `${l.simLedger} ${ledgerState(l, running)}`;
        break;
      }
      case 'q':
        if (!this.actions.quit) return false;
        this.actions.quit();
        return true;
      default:
        return false;
    }
    this.changed();
    return true;
  }

  #tap(i: number): void {
    const card = this.actions.cards[i];
    this.#open = false;
    if (!card) return;
    this.#selected = i;
    this.#note = (l) => `${l.simTap}: ${card.unknown ? l.simUnknown : card.label}`;
    this.actions.tap(card.uid);
  }

  /** A clone or a replay of a genuine card, so anyone can see the terminal and the ledger refuse it. */
  #attack(i: number, kind: 'clone' | 'replay'): void {
    const card = this.actions.cards[i];
    this.#open = false;
    if (kind === 'clone') {
      this.actions.clone?.(card.uid);
      this.#note = (l) => `${l.simClone}: ${card.label}`;
      return;
    }
    const sent = this.actions.replay?.(card.uid) ?? false;
    this.#note = (l) => (sent ? `${l.simReplay}: ${card.label}` : l.simNoReplay);
  }

  draw(c: Canvas, area: Rect, body: Rect, lang: Lang): void {
    const l = labels(lang);
    c.fill(area, { bg: COLORS.blue, fg: COLORS.black, bold: false });
    // The ledger's state, not only its key: a cut ledger is not seen on the cashier's side until a sale waits in vain.
    const ledger = `${l.simLedger}: ${ledgerState(l, this.actions.ledgerRunning)}`;
    const help = `${l.sim}  k ${l.simTap} · r ${l.simRemove} · u ${l.simPlug} · l ${ledger}${this.actions.quit ? ` · q ${l.simQuit}` : ''}`;
    const done = this.#note ? `${l.simDid}: ${this.#note(l)}` : '';
    // The help comes first (all of the row when alone: 78 columns of 80); the feedback only where both fit.
    const st = { fg: COLORS.black };
    if (width(help) + 1 + width(done) + 2 <= area.w)
      c.spread({ ...area, x: area.x + 1, w: area.w - 2 }, area.y, help, done, st, { ...st, bold: true });
    else c.text(area.x + 1, area.y, help, st, area.w - 2);
    if (this.#open) this.#drawList(c, body, lang);
  }

  #drawList(c: Canvas, body: Rect, lang: Lang): void {
    const l = labels(lang);
    const cards = this.actions.cards;
    const rowText = (card: SimCard, n: number) => `${n < 9 ? n + 1 : ' '}  ${cardText(card, l, lang)}`;
    // As wide as the longest row (no name cut off), within the body.
    const w = Math.min(body.w, Math.max(46, ...cards.map((card, n) => width(rowText(card, n)) + 4))),
      h = Math.min(body.h, cards.length + 3);
    const box: Rect = { x: body.x + Math.floor((body.w - w) / 2), y: body.y + Math.floor((body.h - h) / 2), w, h };
    c.fill(box, { bg: COLORS.panel, fg: COLORS.white, bold: false });
    c.text(box.x, box.y, `┌${'─'.repeat(w - 2)}┐`, { fg: COLORS.blue });
    c.text(box.x, box.y + h - 1, `└${'─'.repeat(w - 2)}┘`, { fg: COLORS.blue });
    for (let y = box.y + 1; y < box.y + h - 1; y++) {
      c.put(box.x, y, '│', { fg: COLORS.blue });
      c.put(box.x + w - 1, y, '│', { fg: COLORS.blue });
    }
    const inner: Rect = { x: box.x + 2, y: box.y + 1, w: w - 4, h: h - 2 };
    c.text(inner.x, inner.y, fit(`${l.simPick} (Esc: ${l.simClose})`, inner.w), { bold: true, fg: COLORS.white });
    const rows = inner.h - 1;
    const first = Math.max(0, Math.min(this.#selected - rows + 1, cards.length - rows));
    cards.slice(first, first + rows).forEach((card, i) => {
      const n = first + i;
      const sel = n === this.#selected;
      const y = inner.y + 1 + i;
      if (sel) c.fill({ ...inner, y, h: 1 }, { bg: COLORS.blue });
      c.text(inner.x, y, rowText(card, n), { fg: sel ? COLORS.black : COLORS.white, bold: sel }, inner.w);
    });
  }
}

const ledgerState = (l: Labels, running: boolean): string => (running ? l.simLedgerRunning : l.simLedgerCut);

/** A row of the list: the name and what kind of card it is, in the screen's language. */
function cardText(card: SimCard, l: Labels, lang: Lang): string {
  if (card.unknown) return l.simUnknown;
  const role = card.role && `${l.simStaff}, ${(card.role === 'lead' ? l.lead : l.cashier).toLocaleLowerCase(lang)}`;
  const notes = [role, card.blocked && l.simBlocked, card.sun && l.simSunKeys].filter(Boolean);
  return notes.length ? `${card.label} (${notes.join(', ')})` : card.label;
}
