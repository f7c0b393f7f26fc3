// The terminal's one config file: schema, defaults and the derived type.
import { z } from 'zod';
import { ClubId, TerminalId, NonNegOre, CONTRACT_DEFAULTS as D } from '../../contract/index.ts';
// Only the schema (zod): the Pi drivers themselves are imported when `hardware` is "pi".
import { PiHardwareConfig } from '../../hal/pi/config/config.ts';
import { isTimeZone } from '../rules/local-day.ts';
import { OfflineLimitsConfig } from '../rules/offline.ts';

/** A URL mqtt.js can connect to: the regex alone let `mqtt://host:99999` through to crash at start. */
function connectableUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.hostname !== '' && u.port !== '0';
  } catch {
    return false;
  }
}

const BrokerUrl = z
  .string()
  .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'must be mqtt://host:port or mqtts://host:port')
  .refine(connectableUrl, 'must be mqtt://host:port or mqtts://host:port with a host and a port from 1 to 65535');

export const BrokerConfig = z
  .object({
    url: BrokerUrl,
    /**
     * Where `provision` and `selftest` test these settings without touching the terminal's session:
     * the klubkort broker's check port (docs/deploy.md). Unset: port 8884 of the same host for an
     * mqtts:// URL with a client certificate, else `url` itself (cli/provision/broker-check.ts).
     */
    checkUrl: BrokerUrl.optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** PEM file paths for TLS: CA of the broker, and this terminal's client certificate and key. */
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
    /**
     * The longest wait between two connection attempts (the waits double from 1 s after each failed
     * one): a fleet does not hammer a refusing broker, and a terminal is back at most this long after
     * its broker is.
     */
    reconnectMaxSeconds: z.number().int().min(1).max(300).default(30),
  })
  .strict();

/**
 * `photo`: `auto` = sixel if the terminal says it has it, else the framebuffer if it can be written
 * (on the bare console), else character cells; or one of them forced.
 */
export const DisplayConfig = z
  .object({
    photo: z.enum(['auto', 'sixel', 'framebuffer', 'cells']).default('auto'),
    framebuffer: z
      .object({
        device: z.string().min(1).default('/dev/fb0'),
        /** The device's geometry: bits_per_pixel, stride, virtual_size. */
        sysfs: z.string().min(1).default('/sys/class/graphics/fb0'),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type DisplayConfig = z.infer<typeof DisplayConfig>;

export const TerminalConfig = z
  .object({
    terminalId: TerminalId,
    clubId: ClubId,
    broker: BrokerConfig,
    dataDir: z.string().min(1),
    /**
     * `sim`: simulated devices driven over the sim topics; `pi`: ACR122U + GPIO. No default: a
     * terminal's config that forgot it must not run simulated devices (`run --sim` names it).
     */
    hardware: z.enum(['sim', 'pi'], { error: 'must be named: "pi" on a terminal, "sim" for simulated devices' }),
    /** Pins, GPIO driver, reader and keypad settings of a Raspberry Pi terminal. */
    pi: PiHardwareConfig.prefault({}),
    /** No TUI: the screen exists only as the sim `screen` topic. */
    headless: z.boolean().default(false),
    lang: z.enum(['da', 'en']).default('da'),
    /** How the cardholder's photo reaches the screen (docs/deploy.md). */
    display: DisplayConfig.prefault({}),
    sale: z
      .object({
        maxPurchase: NonNegOre.max(1_000_000).default(D.maxPurchase),
        replyTimeoutMs: z.number().int().min(100).max(60000).default(D.replyTimeoutMs),
        resultScreenMs: z.number().int().min(500).max(60000).default(4000),
        /** The confirm and result screens warn the cashier when the balance after the sale is below this (øre). */
        lowBalanceWarning: NonNegOre.max(1_000_000).default(2000),
      })
      .strict()
      .prefault({}),
    offline: OfflineLimitsConfig.prefault({}),
    outbox: z
      .object({
        /** An entry still unanswered this long after it was sent is sent again (same txId). */
        resendAfterMs: z.number().int().min(200).max(3_600_000).default(15000),
      })
      .strict()
      .prefault({}),
    /** The club's time zone: "today" (report, parents' daily limits) is its local date. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Copenhagen').default(D.timeZone),
    /** Without a key or a tap this long, the signed-in cashier is signed out. */
    cashierIdleMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(D.cashierIdleMinutes),
    /** Answered sales older than this are deleted from the journal. */
    retentionDays: z.number().int().min(1).max(3650).default(90),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type TerminalConfig = z.infer<typeof TerminalConfig>;
export type TerminalConfigInput = z.input<typeof TerminalConfig>;
