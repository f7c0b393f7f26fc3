// Reads systemd/klubkort.service, so that the tests and the bench start the daemon with the same
// Node flags and environment as systemd does on a terminal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SYSTEMD_DIR = join(process.cwd(), 'systemd');

/** key → every value it is given, from the unit's [section]. */
export function unitSection(text: string, section: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let inside = false;
  for (const line of text.split('\n')) {
    if (/^\[.*\]$/.test(line)) {
      inside = line === `[${section}]`;
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (inside && kv) m.set(kv[1]!, [...(m.get(kv[1]!) ?? []), kv[2]!]);
  }
  return m;
}

export interface Launch {
  nodeArgs: string[];
  env: Record<string, string>;
}

/** The Node flags between the node binary and bin/klubkort.js in ExecStart=, and the Environment= settings. */
export function serviceLaunch(unit = join(SYSTEMD_DIR, 'klubkort.service')): Launch {
  const s = unitSection(readFileSync(unit, 'utf8'), 'Service');
  const argv = (s.get('ExecStart')?.[0] ?? '').split(/\s+/);
  const script = argv.findIndex((a) => a.endsWith('/bin/klubkort.js'));
  if (script < 1) throw new Error(`${unit}: ExecStart does not run bin/klubkort.js`);
  const env: Record<string, string> = {};
  for (const assignment of (s.get('Environment') ?? []).flatMap((v) => v.split(/\s+/))) {
    const eq = assignment.indexOf('=');
    if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  // Node may run inside the kiosk (cage … foot … node): its flags are those after the node binary.
  const node = argv.findIndex((a) => /(^|\/)node$/.test(a));
  if (node < 0 || node > script) throw new Error(`${unit}: ExecStart runs bin/klubkort.js without node`);
  return { nodeArgs: argv.slice(node + 1, script), env };
}
