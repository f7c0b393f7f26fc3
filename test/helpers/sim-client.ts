// Drives a simulated terminal the way any outside tool would: only through the contract's topics.
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../contract/index.ts';
import { noDelay } from '../../lib/mqtt-socket.ts';
import type { ScreenModel } from '../../contract/index.ts';
import type { KeyName, TxMsg, ResultMsg } from '../../contract/index.ts';

export interface Indication {
  led: string;
  buzzer: string | null;
}

export class SimClient {
  screen: ScreenModel | null = null;
  readonly screens: ScreenModel[] = [];
  /** When each of `screens` arrived (performance.now()): the explorer's timeline of what the cashier saw. */
  readonly screenTimes: number[] = [];
  readonly indications: Indication[] = [];
  readonly tx: TxMsg[] = [];
  readonly results: ResultMsg[] = [];
  #waiters = new Set<() => void>();

  private constructor(
    private readonly client: MqttClient,
    readonly terminalId: string,
  ) {}

  /** `wait: false` returns at once (the broker may be down); subscriptions follow every connect. */
  static async connect(url: string, terminalId: string, wait = true): Promise<SimClient> {
    const client = noDelay(
      mqtt.connect(url, {
        clientId: `test-${terminalId}-${Math.random().toString(16).slice(2, 8)}`,
        reconnectPeriod: 200,
      }),
    );
    const s = new SimClient(client, terminalId);
    const subscribed = new Promise<void>((resolve) =>
      client.on('connect', () => {
        client.subscribe(
          [
            topics.simScreen(terminalId),
            topics.simIndicators(terminalId),
            topics.tx(terminalId),
            topics.results(terminalId),
          ],
          { qos: 1 },
          () => resolve(),
        );
      }),
    );
    client.on('message', (topic, payload) => {
      let v;
      try {
        v = JSON.parse(payload.toString());
      } catch {
        return;
      } // tests publish garbage on purpose
      if (topic === topics.simScreen(terminalId)) {
        s.screen = v;
        s.screens.push(v);
        s.screenTimes.push(performance.now());
      } else if (topic === topics.simIndicators(terminalId)) s.indications.push(v);
      else if (topic === topics.tx(terminalId)) s.tx.push(v);
      else if (topic === topics.results(terminalId)) s.results.push(v);
      for (const w of s.#waiters) w();
    });
    if (wait) await subscribed;
    return s;
  }

  /** Resolves when `pred` holds (checked on every message); rejects after `ms` with what was seen. */
  waitFor<T>(pred: () => T | undefined | null | false, what: string, ms = 15000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v: T | undefined | null | false;
        try {
          v = pred();
        } catch {
          v = undefined;
        }
        if (v) {
          cleanup();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out waiting for ${what}; screen: ${JSON.stringify(this.screen && { screen: this.screen.screen, message: this.screen.message, result: this.screen.result })}`,
          ),
        );
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  waitScreen(
    name: ScreenModel['screen'],
    extra: (s: ScreenModel) => boolean = () => true,
    ms?: number,
  ): Promise<ScreenModel> {
    return this.waitFor(
      () => (this.screen?.screen === name && extra(this.screen) ? this.screen : undefined),
      `screen ${name}`,
      ms,
    );
  }

  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }
  key(key: KeyName): Promise<void> {
    return this.publish(topics.simKeys(this.terminalId), JSON.stringify({ key }));
  }
  async keys(...ks: KeyName[]): Promise<void> {
    for (const k of ks) await this.key(k);
  }
  tap(uid: string): Promise<void> {
    return this.publish(topics.simReader(this.terminalId), JSON.stringify({ action: 'tap', uid }));
  }
  reader(action: 'remove' | 'unplug' | 'plug'): Promise<void> {
    return this.publish(topics.simReader(this.terminalId), JSON.stringify({ action }));
  }

  /** Escape until idle: a declined sale's basket is kept, so leaving a result may take two. */
  async leave(): Promise<void> {
    for (let i = 0; i < 3 && this.screen?.screen !== 'idle'; i++) {
      const before = this.screen;
      await this.key('escape');
      await this.waitFor(() => this.screen !== before, 'the next screen', 5000).catch(() => undefined);
    }
    await this.waitScreen('idle');
  }

  close(): Promise<void> {
    return this.client.endAsync(!this.client.connected);
  }
}
