import { readFileSync } from 'node:fs';

/** Firmware version, from package.json (reported in the retained status). */
export const FIRMWARE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
