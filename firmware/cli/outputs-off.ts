// `klubkort outputs-off [--config FILE]`: LEDs and buzzer low, for the unit's ExecStopPost. A
// daemon killed by the watchdog or crashed mid-beep cannot do it; this runs after it, as the
// same user in the same sandbox. Exit 0 when done or nothing to do (simulated hardware).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load.ts';
import { DEFAULT_CONFIG } from './selftest-cmd.ts';

export async function outputsOffCommand(argv: string[]): Promise<number> {
  let file: string;
  try {
    file =
      parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true }).values.config ?? DEFAULT_CONFIG;
  } catch (e) {
    process.stderr.write(`klubkort outputs-off: ${(e as Error).message}\n`);
    return 64;
  }
  let cfg;
  try {
    cfg = loadConfigFile(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`klubkort outputs-off: ${e.message}\n`);
    return 78;
  }
  if (cfg.hardware !== 'pi') return 0;
  const { switchOutputsOff } = await import('../../hal/pi/index.ts');
  try {
    await switchOutputsOff(cfg.pi);
    return 0;
  } catch (e) {
    process.stderr.write(`klubkort outputs-off: ${(e as Error).message}\n`);
    return 1;
  }
}
