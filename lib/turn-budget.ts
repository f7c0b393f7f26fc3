// A share of one turn of the event loop for a stream of small pieces of work (messages read,
// sales published): once the turn has used `ms`, or taken `pieces`, the next piece waits for a
// setImmediate, and the keys' and the reader's I/O run in between. A turn of the loop is no wait
// (nothing to step on a test's clock), so this is setImmediate, not Clock.timers.
import { performance } from 'node:perf_hooks';

export class TurnBudget {
  #taken = 0;
  #start = 0;
  #next: Promise<void> | null = null;
  #ended: () => void = () => undefined;

  constructor(
    private readonly ms: number,
    private readonly pieces: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** null: take the next piece in this turn; a promise: the turn is used up, the piece waits for the next. */
  take(): Promise<void> | null {
    if (this.#taken++ === 0) {
      // The first piece of a turn: the turn ends when the loop next reaches its check phase.
      this.#start = this.now();
      setImmediate(this.#turned);
      return null;
    }
    if (this.#taken < this.pieces && this.now() - this.#start < this.ms) return null;
    this.#next ??= new Promise((resolve) => {
      this.#ended = resolve;
    });
    return this.#next;
  }

  readonly #turned = (): void => {
    this.#taken = 0;
    this.#next = null;
    this.#ended();
  };
}
