// Picks the hardware drivers for a config, loading only the chosen ones (a machine without the Pi
// libraries runs the simulator), and adds the cashier console unless headless.
import type { TerminalConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type {
  CardReader,
  Display,
  Hardware,
  Indicators,
  Keypad,
  PhotoLookup,
  PreparedPhotoStore,
} from '../../hal/types.ts';
import { FanoutDisplay, MergedKeypad } from '../../hal/fanout.ts';
import type { SimPanelActions } from '../ui/console.ts';
import type { PiDeps } from '../../hal/pi/index.ts';
import type { Intervals, Timers } from '../../lib/timers.ts';

export interface HardwareOptions {
  photos: PhotoLookup;
  /** Photos prepared ahead for the console's pixel output. */
  prepared?: PreparedPhotoStore;
  /** The simulator's letter-key panel on the console. */
  simPanel?: SimPanelActions;
  onQuit?: () => void;
  /** Stand-ins for what the Pi drivers reach outside the process (tests). */
  pi?: PiDeps;
  /** The simulator topics on a broker of their own (the explorer faults the club's broker under a cashier who keeps selling). */
  simBrokerUrl?: string;
  /** The daemon's clock's: the console's and the simulator's waits. */
  timers: Timers & Intervals;
}

export interface Devices {
  reader: CardReader;
  indicators: Indicators;
  displays: Display[];
  keypads: Keypad[];
}

export async function createHardware(cfg: TerminalConfig, log: Logger, o: HardwareOptions): Promise<Hardware> {
  const d =
    cfg.hardware === 'sim'
      ? await simDevices(cfg, log, o.timers, o.simBrokerUrl)
      : await piDevices(cfg, log, { timers: o.timers, ...o.pi });
  if (!cfg.headless) {
    const { createConsole } = await import('../ui/console.ts');
    const c = createConsole({
      lang: cfg.lang,
      photos: o.photos,
      ...(o.prepared ? { prepared: o.prepared } : {}),
      simPanel: o.simPanel,
      onQuit: o.onQuit,
      keyMap: cfg.pi.keypad.map,
      log: log.child({ part: 'ui' }),
      display: cfg.display,
      timeZone: cfg.timeZone,
      timers: o.timers,
    });
    d.displays.push(c.display);
    d.keypads.push(c.keypad);
  }
  // A headless Pi has neither: the fan-outs of nothing draw nothing and emit no key.
  return {
    reader: d.reader,
    indicators: d.indicators,
    display: new FanoutDisplay(d.displays),
    keypad: new MergedKeypad(d.keypads),
  };
}

export async function simDevices(
  cfg: TerminalConfig,
  log: Logger,
  timers: Timers,
  brokerUrl = cfg.broker.url,
): Promise<Devices> {
  const { createSimHardware } = await import('../../hal/sim/index.ts');
  const hw = createSimHardware({ brokerUrl, terminalId: cfg.terminalId, log, timers });
  return { reader: hw.reader, indicators: hw.indicators, displays: [hw.display], keypads: [hw.keypad] };
}

export async function piDevices(cfg: TerminalConfig, log: Logger, deps: PiDeps = {}): Promise<Devices> {
  const pi = await import('../../hal/pi/index.ts');
  const { reader, indicators } = await pi.createPiHardware(cfg.pi, { ...deps, log: log.child({ part: 'pi' }) });
  // LEDs and buzzer off even when the process ends without stop() (an uncaught error).
  pi.switchOffOnExit(indicators);
  return { reader, indicators, displays: [], keypads: [] };
}
