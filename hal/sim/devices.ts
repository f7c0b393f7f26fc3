// Simulated card reader, keypad, display and indicators, driven and observed over the contract's
// simulator control topics, so any MQTT client can operate a simulated terminal.
import { TypedEmitter } from '../../lib/emitter.ts';
import type {
  CardReader,
  CardReaderEvents,
  ReaderStatus,
  Display,
  Indicators,
  IndicatorState,
  Keypad,
  KeypadEvents,
  ScreenModel,
} from '../types.ts';
import type { Logger } from '../../lib/log.ts';
import { topics } from '../../contract/index.ts';
import { SimReaderMsg, SimKeyMsg, parsePayload } from '../../contract/index.ts';
import type { SimBus } from './bus.ts';

function listen<T>(
  bus: SimBus,
  topic: string,
  schema: Parameters<typeof parsePayload<T>>[0],
  log: Logger,
  fn: (v: T) => void,
): void {
  bus.subscribe(topic, (payload) => {
    const r = parsePayload(schema, payload);
    if (r.ok) fn(r.value);
    else log.warn({ topic, error: r.error }, 'rejected simulator message');
  });
}

export class SimReader extends TypedEmitter<CardReaderEvents> implements CardReader {
  #attached = true;
  #present = false;
  constructor(
    private readonly bus: SimBus,
    private readonly terminalId: string,
    private readonly log: Logger,
  ) {
    super();
  }
  get attached(): boolean {
    return this.#attached;
  }
  get status(): ReaderStatus {
    return this.#attached ? 'ready' : 'unplugged';
  }

  #emitAttachment(): void {
    this.emit(this.#attached ? 'attached' : 'detached');
    this.emit('status', this.status);
  }

  async start(): Promise<void> {
    this.bus.start();
    listen(this.bus, topics.simReader(this.terminalId), SimReaderMsg, this.log, (m) => {
      switch (m.action) {
        case 'tap':
          if (!this.#attached) return;
          this.#present = true;
          return this.emit('card', {
            uid: m.uid,
            sun: m.sun ? { uid: m.sun.uid ?? m.uid, ctr: m.sun.ctr, cmac: m.sun.cmac } : null,
          });
        case 'remove':
          if (this.#present) {
            this.#present = false;
            this.emit('removed');
          }
          return;
        case 'unplug':
          if (!this.#attached) return;
          this.#attached = false;
          this.#present = false;
          return this.#emitAttachment();
        case 'plug':
          if (this.#attached) return;
          this.#attached = true;
          return this.#emitAttachment();
      }
    });
    this.#emitAttachment();
  }
  async stop(): Promise<void> {
    await this.bus.stop();
  }
}

export class SimKeypad extends TypedEmitter<KeypadEvents> implements Keypad {
  constructor(
    private readonly bus: SimBus,
    private readonly terminalId: string,
    private readonly log: Logger,
  ) {
    super();
  }
  async start(): Promise<void> {
    this.bus.start();
    listen(this.bus, topics.simKeys(this.terminalId), SimKeyMsg, this.log, (m) => this.emit('key', m.key));
  }
  async stop(): Promise<void> {
    await this.bus.stop();
  }
}

/** Publishes each changed screen model, retained, on the sim `screen` topic. */
export class HeadlessDisplay implements Display {
  #last = '';
  constructor(
    private readonly bus: SimBus,
    private readonly terminalId: string,
  ) {}
  async start(): Promise<void> {
    this.bus.start();
  }
  async stop(): Promise<void> {
    await this.bus.stop();
  }
  draw(model: ScreenModel): void {
    const json = JSON.stringify(model);
    if (json === this.#last) return;
    this.#last = json;
    this.bus.publish(topics.simScreen(this.terminalId), json, true);
  }
}

export class SimIndicators implements Indicators {
  #last = '';
  constructor(
    private readonly bus: SimBus,
    private readonly terminalId: string,
  ) {}
  async start(): Promise<void> {
    this.bus.start();
  }
  async stop(): Promise<void> {
    this.show({ led: 'off', buzzer: null });
    await this.bus.stop();
  }
  show(state: IndicatorState): void {
    const json = JSON.stringify({ led: state.led, buzzer: state.buzzer });
    if (json === this.#last) return;
    this.#last = json;
    this.bus.publish(topics.simIndicators(this.terminalId), json, false);
  }
}
