// Turns `klubkort run` flags (and an optional config file) into one validated config.
import { parseArgs } from 'node:util';
import { loadConfigFile, parseConfig, ConfigError } from '../config/load.ts';
import type { TerminalConfig, TerminalConfigInput } from '../config/schema.ts';

export const RUN_OPTIONS = {
  config: { type: 'string' },
  sim: { type: 'boolean' },
  headless: { type: 'boolean' },
  broker: { type: 'string' },
  'terminal-id': { type: 'string' },
  'club-id': { type: 'string' },
  'data-dir': { type: 'string' },
  lang: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** The config file `run` was given (`--config FILE`), read loosely: also when the rest of the arguments are wrong. */
export function runConfigFile(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i < 0) return undefined;
  return argv[i].startsWith('--config=') ? argv[i].slice('--config='.length) : argv[i + 1];
}

export function configFromArgs(argv: string[]): TerminalConfig {
  let values;
  try {
    values = parseArgs({ args: argv, options: RUN_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const o: Partial<TerminalConfigInput> & Record<string, unknown> = {};
  if (values['terminal-id'] !== undefined) o.terminalId = values['terminal-id'];
  if (values['club-id'] !== undefined) o.clubId = values['club-id'];
  if (values['data-dir'] !== undefined) o.dataDir = values['data-dir'];
  if (values.sim) o.hardware = 'sim';
  if (values.headless) o.headless = true;
  if (values.lang !== undefined) o.lang = values.lang as 'da' | 'en';
  if (values['log-level'] !== undefined) o.logLevel = values['log-level'] as TerminalConfigInput['logLevel'];
  if (values.config !== undefined) {
    const fileCfg = loadConfigFile(values.config);
    if (values.broker !== undefined) o.broker = { ...fileCfg.broker, url: values.broker };
    return parseConfig({ ...fileCfg, ...o }, `config file ${values.config} with command-line flags`);
  }
  if (values.broker !== undefined) o.broker = { url: values.broker };
  return parseConfig(o, 'command-line flags');
}
