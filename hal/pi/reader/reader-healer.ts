// Performs the reader-health machine's effects (reader-health.ts): watches sysfs for the ACR122U,
// times "on USB but missing from PC/SC", rebuilds the context, restarts pcscd, and says the status.
import { execFile } from 'node:child_process';
import type { Logger } from '../../../lib/log.ts';
import type { ReaderStatus } from '../../types.ts';
import {
  healthTransition,
  initialHealth,
  readerStatus,
  type HealthContext,
  type HealthEvent,
  type HealthState,
} from './reader-health.ts';
import type { TimerHandle, Timers } from '../../../lib/timers.ts';
import { usbDevicePresent } from './usb.ts';

/**
 * `systemctl restart pcscd.service`, which polkit lets the klubkort user do and nothing else
 * (systemd/50-klubkort-pcscd.rules). Never asks for a password; rejects on failure.
 */
export function systemctlRestartPcscd(timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'systemctl',
      ['--no-ask-password', 'restart', 'pcscd.service'],
      { timeout: timeoutMs },
      (err, _out, stderr) => {
        if (err) reject(new Error(`systemctl restart pcscd.service failed: ${String(stderr).trim() || err.message}`));
        else resolve();
      },
    );
  });
}

export interface ReaderHealerOptions extends Partial<HealthContext> {
  timers: Timers;
  log: Logger;
  /** Drops the PC/SC context and opens a new one. */
  rebuild: () => void;
  restartPcscd?: () => Promise<void>;
  /** Is the ACR122U on USB (null: cannot tell)? sysfs by default. */
  usbPresent?: () => Promise<boolean | null>;
  /** How often sysfs is looked at. */
  usbPollMs?: number;
  onStatus: (status: ReaderStatus) => void;
}

export class ReaderHealer {
  readonly #o: ReaderHealerOptions;
  readonly #ctx: HealthContext;
  #s: HealthState = initialHealth();
  #status: ReaderStatus = 'unplugged';
  #watch: TimerHandle | null = null;
  #poll: TimerHandle | null = null;
  #running = false;

  constructor(o: ReaderHealerOptions) {
    this.#o = o;
    this.#ctx = { timeoutsToHeal: o.timeoutsToHeal ?? 3, missingMs: o.missingMs ?? 30_000 };
  }

  get status(): ReaderStatus {
    return this.#status;
  }

  async start(): Promise<void> {
    this.#running = true;
    await this.#pollUsb();
  }

  stop(): void {
    this.#running = false;
    this.#clear();
    if (this.#poll !== null) this.#o.timers.clearTimeout(this.#poll);
    this.#poll = null;
    this.#s = initialHealth();
    this.#status = 'unplugged';
  }

  dispatch(ev: HealthEvent): void {
    if (!this.#running) return;
    const step = healthTransition(this.#s, ev, this.#ctx);
    this.#s = step.state;
    for (const e of step.effects) {
      switch (e.type) {
        case 'rebuild':
          this.#o.log.warn({ trouble: this.#trouble() }, 'card reader not answering: rebuilding the PC/SC context');
          this.#o.rebuild();
          break;
        case 'restartPcscd':
          this.#o.log.error(
            { trouble: this.#trouble() },
            'card reader still not answering: restarting pcscd; the cashier is asked to re-plug it',
          );
          void this.#restartPcscd();
          break;
        case 'watch':
          this.#clear();
          this.#watch = this.#o.timers.setTimeout(() => {
            this.#watch = null;
            this.dispatch({ type: 'missingElapsed' });
          }, e.ms);
          break;
        case 'cancelWatch':
          this.#clear();
          break;
      }
    }
    const status = readerStatus(this.#s);
    if (status === this.#status) return;
    this.#status = status;
    this.#o.log.info({ status }, 'card reader status');
    this.#o.onStatus(status);
  }

  #trouble(): string {
    return this.#s.present ? 'timeouts in a row' : `on USB, missing from PC/SC for ${this.#ctx.missingMs / 1000} s`;
  }

  async #restartPcscd(): Promise<void> {
    try {
      await (this.#o.restartPcscd ?? systemctlRestartPcscd)();
      this.#o.log.info('pcscd restarted');
    } catch (err) {
      this.#o.log.error({ err: (err as Error).message }, 'could not restart pcscd');
    }
    // The old context died with the old pcscd; a new one finds the reader if pcscd does.
    if (this.#running) this.#o.rebuild();
  }

  async #pollUsb(): Promise<void> {
    const onUsb = await (this.#o.usbPresent ?? usbDevicePresent)().catch(() => null);
    if (!this.#running) return;
    if (onUsb !== this.#s.onUsb) this.dispatch({ type: 'usb', onUsb });
    this.#poll = this.#o.timers.setTimeout(() => {
      this.#poll = null;
      void this.#pollUsb();
    }, this.#o.usbPollMs ?? 5000);
  }

  #clear(): void {
    if (this.#watch !== null) this.#o.timers.clearTimeout(this.#watch);
    this.#watch = null;
  }
}
