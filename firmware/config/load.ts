// Reads and validates the config file; every problem becomes one readable message.
import { readFileSync } from 'node:fs';
import { TerminalConfig, type TerminalConfigInput } from './schema.ts';
import { errorCode } from '../error-code.ts';

export class ConfigError extends Error {}

export function parseConfig(input: unknown, source = 'config'): TerminalConfig {
  const r = TerminalConfig.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ConfigError(`${source} is not valid:\n${issues}`);
  }
  // Read now, so a missing certificate is a config error and not a crash at the first connect.
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const file = r.data.broker[key];
    if (file === undefined) continue;
    try {
      readFileSync(file);
    } catch (e) {
      throw new ConfigError(`${source} is not valid:\n  broker.${key}: cannot read ${file}: ${errorCode(e)}`);
    }
  }
  return r.data;
}

export function loadConfigFile(path: string, overrides: Partial<TerminalConfigInput> = {}): TerminalConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${errorCode(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the error ('…"url": "mqtt://u:secret@…" is not valid JSON'): a
    // password must not reach the journal through it.
    const why = (e as Error).message.replace(/,?\s*(\.\.\.)?".*$/s, '');
    throw new ConfigError(`config file ${path} is not valid JSON: ${why}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  return parseConfig({ ...json, ...overrides }, `config file ${path}`);
}
