// Validation of each provisioning answer (and flag): the contract's id formats, the config
// schema's enums and URL rule, GPIO pins as "green=17,red=27,…".
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { CLUB_ID, TERMINAL_ID } from '../../../contract/index.ts';
import { BrokerConfig } from '../../config/schema.ts';
import { PiHardwareConfig } from '../../../hal/pi/config/config.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function withZod<T>(schema: z.ZodType<T>) {
  return (input: string): Parsed<T> => {
    const r = schema.safeParse(input);
    return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.issues[0]?.message ?? 'invalid' };
  };
}

export const parseTerminalId = withZod(
  z.string().regex(TERMINAL_ID, 'a terminal id is 1–64 lower-case letters, digits or "-"'),
);
export const parseClubId = withZod(z.string().regex(CLUB_ID, 'a club id is 1–32 lower-case letters, digits or "-"'));
export const parseLang = withZod(z.enum(['da', 'en'], 'da or en'));
export const parseHardware = withZod(z.enum(['pi', 'sim'], 'pi (the real terminal) or sim (simulated devices)'));
export const parseDataDir = withZod(z.string().refine(isAbsolute, 'an absolute path, e.g. /var/lib/klubkort'));
export const parseBrokerUrl = withZod(BrokerConfig.shape.url);
export const parseText = withZod(z.string().min(1, 'may not be empty'));

export const isTlsUrl = (url: string): boolean => /^(mqtts|wss):/.test(url);

const PIN_NAMES = ['green', 'red', 'yellow', 'buzzer'] as const;
export type PinName = (typeof PIN_NAMES)[number];
export type Pins = Record<PinName, number>;

const PinList = z
  .string()
  .regex(
    /^\s*[a-z]+\s*=\s*\d+\s*(,\s*[a-z]+\s*=\s*\d+\s*)*$/,
    'name=pin pairs, e.g. green=17,red=27,yellow=22,buzzer=23',
  )
  .transform((s) =>
    Object.fromEntries(
      s
        .split(',')
        .map((p) => p.split('=').map((x) => x.trim()))
        .map(([k, v]) => [k, Number(v)]),
    ),
  )
  .pipe(
    z
      .strictObject(
        { green: z.number(), red: z.number(), yellow: z.number(), buzzer: z.number() },
        'the parts are green, red, yellow and buzzer',
      )
      .partial(),
  );

/** Pins given (all or some) on top of `base`; the result is checked by the `pi` config schema. */
export function parsePins(input: string, base: Pins): Parsed<Pins> {
  const list = PinList.safeParse(input);
  if (!list.success) return { ok: false, error: list.error.issues[0]?.message ?? 'invalid' };
  const pins = { ...base, ...list.data } as Pins;
  const r = PiHardwareConfig.safeParse({
    gpio: { pins: Object.fromEntries(PIN_NAMES.map((n) => [n, { pin: pins[n] }])) },
  });
  if (!r.success)
    return {
      ok: false,
      error: r.error.issues.map((i) => `${i.path.slice(2).join('.') || 'pins'}: ${i.message}`).join('; '),
    };
  return { ok: true, value: pins };
}

export function formatPins(p: Pins): string {
  return PIN_NAMES.map((n) => `${n}=${p[n]}`).join(',');
}

/** The pin numbers of a raw `pi` config section (defaults for what it leaves out). */
export function pinsOf(rawPi: unknown): Pins {
  const r = PiHardwareConfig.safeParse(rawPi ?? {});
  const pins = (r.success ? r.data : PiHardwareConfig.parse({})).gpio.pins;
  return { green: pins.green.pin, red: pins.red.pin, yellow: pins.yellow.pin, buzzer: pins.buzzer.pin };
}
