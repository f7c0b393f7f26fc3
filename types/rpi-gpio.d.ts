// rpi-gpio 2.1 ships no types: the part of its API that hal/pi uses, as read from its source.
declare module 'rpi-gpio' {
  type Direction = 'in' | 'out' | 'low' | 'high';
  type Edge = 'none' | 'rising' | 'falling' | 'both';

  interface RpiGpio {
    readonly MODE_RPI: 'mode_rpi';
    readonly MODE_BCM: 'mode_bcm';
    readonly DIR_IN: 'in';
    readonly DIR_OUT: 'out';
    readonly DIR_LOW: 'low';
    readonly DIR_HIGH: 'high';
    setMode(mode: 'mode_rpi' | 'mode_bcm'): void;
    promise: {
      /** Rejects with "Unable to match Revision in /proc/cpuinfo" off a Raspberry Pi. */
      setup(channel: number, direction?: Direction, edge?: Edge): Promise<void>;
      write(channel: number, value: boolean): Promise<void>;
      read(channel: number): Promise<boolean>;
      /** Unexports every pin this module set up. */
      destroy(): Promise<void>;
    };
  }

  /** The module is one shared instance. */
  const gpio: RpiGpio;
  export default gpio;
}
