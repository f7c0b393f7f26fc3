import { EventEmitter } from 'node:events';

/** An EventEmitter whose event names and argument lists are checked by the compiler. */
export class TypedEmitter<Events extends Record<string, unknown[]>> {
  readonly #ee = new EventEmitter();
  on<K extends keyof Events & string>(event: K, fn: (...args: Events[K]) => void): this {
    this.#ee.on(event, fn as (...a: unknown[]) => void);
    return this;
  }
  off<K extends keyof Events & string>(event: K, fn: (...args: Events[K]) => void): this {
    this.#ee.off(event, fn as (...a: unknown[]) => void);
    return this;
  }
  once<K extends keyof Events & string>(event: K, fn: (...args: Events[K]) => void): this {
    this.#ee.once(event, fn as (...a: unknown[]) => void);
    return this;
  }
  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    this.#ee.emit(event, ...args);
  }
  removeAllListeners(): void {
    this.#ee.removeAllListeners();
  }
}
