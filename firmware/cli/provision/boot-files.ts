// The first-boot directory: `klubkort/` on the image's FAT boot partition, written from any PC
// (`klubkort provision --boot-dir DIR`) and taken in at boot by `klubkort firstboot` (docs/deploy.md,
// "Flashing a terminal"). The names here are the contract between the two.
import { z } from 'zod';

/** Where the image mounts the FAT boot partition, and the directory on it. */
export const BOOT_DIR = '/boot/firmware/klubkort';
/** Where the config and secrets go on the terminal (the config's file paths name this directory). */
export const ETC_DIR = '/etc/klubkort';

export const BOOT_FILES = {
  config: 'config.json',
  setup: 'setup.json',
  ca: 'ca.pem',
  releaseKeys: 'release-keys',
  sshKey: 'ssh-authorized-keys',
  error: 'ERROR.txt',
} as const;
/** Left on the FAT partition after a good first boot: what happened, no secret. */
export const DONE_NOTE = 'klubkort-provisioned.txt';

export const certName = (terminalId: string): string => `${terminalId}.crt`;
export const keyName = (terminalId: string): string => `${terminalId}.key`;

/** What is not the terminal's config: the network and the clock. */
export const SetupFile = z
  .object({
    wifi: z
      .object({
        ssid: z.string().min(1).max(32),
        /** WPA2 passphrase (8–63 characters). */
        password: z
          .string()
          .min(8, 'a WPA2 password has 8 to 63 characters')
          .max(63, 'a WPA2 password has 8 to 63 characters'),
        /** Two-letter country code: the radio's allowed channels. */
        country: z
          .string()
          .regex(/^[A-Z]{2}$/, 'a two-letter country code such as DK')
          .default('DK'),
      })
      .strict()
      .optional(),
    /** NTP servers (host names or addresses); none: Debian's pool. */
    timeServers: z.array(z.string().regex(/^[A-Za-z0-9.:-]+$/, 'a host name or an address')).optional(),
  })
  .strict();
export type SetupFile = z.infer<typeof SetupFile>;
