// Simulated hardware: every device on one MQTT connection to the simulator topics.
import type { IClientOptions } from 'mqtt';
import type { Hardware } from '../types.ts';
import type { Logger } from '../../lib/log.ts';
import { SimBus } from './bus.ts';
import { SimReader, SimKeypad, HeadlessDisplay, SimIndicators } from './devices.ts';
import { systemTimers, type Timers } from '../../lib/timers.ts';

export function createSimHardware(o: {
  brokerUrl: string;
  terminalId: string;
  log: Logger;
  mqtt?: IClientOptions;
  /** The simulator's waits; the system's unless a test steps them. */
  timers?: Timers;
}): Hardware & { bus: SimBus } {
  const log = o.log.child({ part: 'sim-hw' });
  const bus = new SimBus(o.brokerUrl, `${o.terminalId}-sim`, log, o.timers ?? systemTimers, o.mqtt);
  return {
    bus,
    reader: new SimReader(bus, o.terminalId, log),
    keypad: new SimKeypad(bus, o.terminalId, log),
    display: new HeadlessDisplay(bus, o.terminalId),
    indicators: new SimIndicators(bus, o.terminalId),
  };
}
