// `klubkort selftest`: walks a technician through the terminal's devices and prints a pass/fail
// table. Devices come in started; the caller stops them. LEDs and buzzer cannot report whether
// they lit or sounded, so they pass when driven and the technician watches and listens.
import type { CardReader, CardTap, Indicators } from '../../hal/types.ts';
import type { SystemCheck } from './selftest-system.ts';
import { maskUid } from '../log.ts';
import type { Timers } from '../../lib/timers.ts';

export const MIN_DISPLAY = { cols: 60, rows: 20 } as const;

export interface SelftestDeps {
  reader: CardReader;
  indicators: Indicators;
  /** Null when there is no terminal to draw on. */
  displaySize: () => { cols: number; rows: number } | null;
  /** The Pi's own set-up (selftest-system.ts); none for the simulator. */
  systemChecks?: () => Promise<SystemCheck[]>;
  /** How the cardholder's photo can be shown on this terminal: [usable, what]. */
  photoPath?: () => Promise<[ok: boolean, detail: string]>;
  /** Null when the broker answers, else why not. */
  checkBroker: () => Promise<string | null>;
  out: (line: string) => void;
  waitCardMs?: number;
  /** How long each LED stays lit and the buzzer check lasts. */
  stepMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The card wait's deadline and the default sleep. */
  timers: Timers;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}
type Outcome = [ok: boolean, detail: string, fix?: string];

export async function runSelftest(deps: SelftestDeps): Promise<boolean> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => deps.timers.setTimeout(r, ms)));
  const stepMs = deps.stepMs ?? 700;
  const checks: Check[] = [];
  const check = async (name: string, run: () => Outcome | Promise<Outcome>) => {
    let outcome: Outcome;
    try {
      outcome = await run();
    } catch (err) {
      outcome = [false, (err as Error).message];
    }
    checks.push({ name, ok: outcome[0], detail: outcome[1], fix: outcome[2] });
  };
  // LEDs and buzzer that could not be opened: the reader or the screen speak instead, which
  // sells, but the technician must fix the wiring or driver.
  const fault = deps.indicators.fault;
  const missing = (f: NonNullable<typeof fault>): Outcome => [
    false,
    `not driven: ${f.problem}`,
    `feedback goes to ${f.fallback === 'reader' ? "the reader's LED and beeper" : 'the screen only'} meanwhile; see docs/hardware.md "GPIO drivers"`,
  ];

  for (const led of ['green', 'red', 'yellow'] as const) {
    await check(`LED ${led}`, async () => {
      deps.out(`LED ${led} on`);
      deps.indicators.show({ led, buzzer: null });
      await sleep(stepMs);
      return fault ? missing(fault) : [true, 'driven: check it lit'];
    });
  }
  await check('buzzer', async () => {
    deps.out('buzzer: two beeps');
    deps.indicators.show({ led: 'off', buzzer: 'approve' });
    await sleep(stepMs);
    return fault ? missing(fault) : [true, 'driven: check it beeped twice'];
  });
  await check('card reader', async () => {
    const outcome = await waitForCard(deps.reader, deps.waitCardMs ?? 15000, deps.out, deps.timers);
    if (outcome[0]) deps.indicators.show({ led: 'green', buzzer: 'tap' });
    return outcome;
  });
  try {
    deps.indicators.show({ led: 'off', buzzer: null });
  } catch {
    // Already reported by the LED checks.
  }
  await check('display', async () => {
    const size = deps.displaySize();
    if (!size) return [false, 'no terminal to draw on'];
    const ok = size.cols >= MIN_DISPLAY.cols && size.rows >= MIN_DISPLAY.rows;
    const sized = `${size.cols}×${size.rows}${ok ? '' : `, at least ${MIN_DISPLAY.cols}×${MIN_DISPLAY.rows} needed`}`;
    // The photo is how the cashier checks the child: a screen that cannot show it fails.
    const photo = deps.photoPath ? await deps.photoPath() : null;
    return photo ? [ok && photo[0], `${sized}; photo: ${photo[1]}`] : [ok, sized];
  });
  await check('broker', async () => {
    const problem = await deps.checkBroker();
    return problem === null ? [true, 'connected'] : [false, problem];
  });
  for (const s of await (deps.systemChecks?.() ?? Promise.resolve([])))
    await check(s.name, () => [s.ok, s.detail, s.fix]);

  const width = Math.max(...checks.map((c) => c.name.length));
  deps.out('');
  for (const c of checks) deps.out(`${c.name.padEnd(width)}  ${c.ok ? 'PASS' : 'FAIL'}  ${c.detail}`);
  const fixes = checks.filter((c) => !c.ok && c.fix);
  if (fixes.length) deps.out('');
  for (const c of fixes) deps.out(`fix ${c.name}: ${c.fix}`);
  const failed = checks.filter((c) => !c.ok).length;
  deps.out(failed === 0 ? 'selftest passed' : `selftest failed: ${failed} of ${checks.length} checks`);
  return failed === 0;
}

/** Waits for one readable tap; read errors are shown and the wait goes on. */
function waitForCard(reader: CardReader, ms: number, out: (line: string) => void, timers: Timers): Promise<Outcome> {
  out(`tap a card on the reader within ${ms / 1000} s${reader.attached ? '' : ' (no reader attached yet)'}`);
  return new Promise((resolve) => {
    let lastError: string | null = null;
    const onCard = (tap: CardTap) => finish([true, `card ${maskUid(tap.uid)}${tap.sun ? ' (SUN read)' : ''}`]);
    const onError = (err: Error) => {
      lastError = err.message;
      out(`read failed (${err.message}): tap again`);
    };
    const timer = timers.setTimeout(
      () =>
        finish([
          false,
          lastError
            ? `no readable card (last error: ${lastError})`
            : `no card within ${ms / 1000} s${reader.attached ? '' : ', no reader attached'}`,
        ]),
      ms,
    );
    function finish(outcome: Outcome) {
      timers.clearTimeout(timer);
      reader.off('card', onCard);
      reader.off('error', onError);
      resolve(outcome);
    }
    reader.on('card', onCard);
    reader.on('error', onError);
  });
}
