// The `pi` section of the terminal's config file: GPIO wiring, which reader, keypad overrides.
// Defaults match the wiring table in docs/hardware.md.
import { z } from 'zod';
import { KeyName } from '../../../contract/index.ts';

const PinConfig = z
  .object({
    /** BCM GPIO number (the "GPIO17" name, not the header position). */
    pin: z.number().int().min(0).max(53),
    /** True when the part is on while the pin is low (e.g. LED wired from 3.3 V to the pin). */
    activeLow: z.boolean().default(false),
  })
  .strict();
export type PinConfig = z.infer<typeof PinConfig>;

const pin = (n: number) => PinConfig.prefault({ pin: n });

export const PiHardwareConfig = z
  .object({
    gpio: z
      .object({
        /** "auto": sysfs (onoff) where the kernel has it, else the GPIO character device (gpiod tools). */
        driver: z.enum(['auto', 'gpiod', 'onoff', 'rpi-gpio']).default('auto'),
        /** Sysfs drivers only: first sysfs number of the header's GPIO chip (0 before kernel 6.6, 512 or more since). */
        base: z.union([z.number().int().min(0), z.literal('auto')]).default('auto'),
        pins: z
          .object({
            green: pin(17),
            red: pin(27),
            yellow: pin(22),
            buzzer: pin(23),
          })
          .strict()
          .prefault({})
          .refine((p) => new Set(Object.values(p).map((x) => x.pin)).size === 4, {
            message: 'each part needs its own GPIO pin',
          }),
      })
      .strict()
      .prefault({}),
    reader: z
      .object({
        /** Case-insensitive substring of the PC/SC reader name; the first reader found when absent. */
        name: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    keypad: z
      .object({
        /** Key token (as in hal/keypad-map.ts) → contract key, on top of the defaults. */
        map: z.record(z.string().min(1), KeyName).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type PiHardwareConfig = z.infer<typeof PiHardwareConfig>;
export type PiHardwareConfigInput = z.input<typeof PiHardwareConfig>;
export type IndicatorPinName = keyof PiHardwareConfig['gpio']['pins'];
