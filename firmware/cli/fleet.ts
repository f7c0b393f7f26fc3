// `klubkort fleet`: every terminal from its retained status (for a technician, or a monitoring
// system with --check), and `klubkort fleet update`: announce a release to some terminals (contract
// 1.2 draft, retained `terminals/{id}/update`), a few first, then a club, then all.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { TerminalId, UpdateAnnouncement, parsePayload } from '../../contract/index.ts';
import { announce, connectFleet, readStatuses, type BrokerAccess } from '../fleet/broker.ts';
import { fleetProblems, fleetRows, fleetTable, nextOfflineSince } from '../fleet/view.ts';
import { Manifest, MANIFEST_NAME } from '../release/manifest.ts';
import { readTar } from '../release/tar.ts';
import { HELP } from './help.ts';
import { systemTimers } from '../../lib/timers.ts';

const CONNECTION = {
  broker: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
} as const;

class Usage extends Error {}

function access(v: {
  broker?: string;
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  'password-file'?: string;
}): BrokerAccess {
  if (!v.broker) throw new Usage('--broker URL is needed');
  const password = v['password-file'] ? readFileSync(v['password-file'], 'utf8').split(/\r?\n/)[0] : undefined;
  return { url: v.broker, caFile: v.ca, certFile: v.cert, keyFile: v.key, username: v.username, password };
}

const minutes = (s: string | undefined, name: string, dflt: number): number => {
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new Usage(`${name} takes a number of minutes`);
  return n;
};

function readState(file: string | undefined): Map<string, string> {
  if (!file) return new Map();
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>));
  } catch {
    return new Map(); // first run, or a state that cannot be read: start over
  }
}

function writeState(file: string, state: Map<string, string>): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(state), null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

async function list(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...CONNECTION,
      json: { type: 'boolean' },
      check: { type: 'boolean' },
      state: { type: 'string' },
      'offline-minutes': { type: 'string' },
      'queue-minutes': { type: 'string' },
      version: { type: 'string' },
    },
  });
  const b = access(v);
  const limits = {
    offlineMinutes: minutes(v['offline-minutes'], '--offline-minutes', 30),
    queueMinutes: minutes(v['queue-minutes'], '--queue-minutes', 60),
    version: v.version,
  };
  const client = await connectFleet(b, systemTimers);
  let statuses;
  try {
    statuses = await readStatuses(client, systemTimers);
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
  const now = new Date();
  // Only a state kept between runs knows since when a terminal is offline (its will has no time).
  const offline = v.state ? nextOfflineSince(fleetRows(statuses), readState(v.state), now) : new Map<string, string>();
  if (v.state) writeState(v.state, offline);
  const rows = fleetRows(statuses, offline);
  const problems = v.check ? fleetProblems(rows, limits, now) : [];
  if (v.json) process.stdout.write(JSON.stringify(v.check ? { terminals: rows, problems } : rows, null, 2) + '\n');
  else {
    process.stdout.write(fleetTable(rows, now) + '\n');
    if (v.check)
      process.stdout.write(
        problems.length
          ? problems.map((p) => `PROBLEM ${p.terminal}: ${p.problem}`).join('\n') + '\n'
          : `OK: ${rows.length} terminals\n`,
      );
  }
  return problems.length ? 1 : 0;
}

/** Version, SHA-256 and size of a bundle file; the version from its manifest. */
async function bundleFacts(file: string): Promise<{ version: string; sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  for await (const e of readTar(createReadStream(file).pipe(createGunzip()))) {
    if (e.path !== MANIFEST_NAME) break;
    const parts: Buffer[] = [];
    for await (const p of e.body()) parts.push(p);
    const m = parsePayload(Manifest, Buffer.concat(parts));
    if (!m.ok) throw new Usage(`${file}: its manifest cannot be read: ${m.error}`);
    return { version: m.value.version, sha256: hash.digest('hex'), size };
  }
  throw new Usage(`${file} is not a release bundle (no ${MANIFEST_NAME} first)`);
}

async function update(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...CONNECTION,
      terminal: { type: 'string', multiple: true },
      club: { type: 'string' },
      all: { type: 'boolean' },
      version: { type: 'string' },
      url: { type: 'string' },
      sha256: { type: 'string' },
      size: { type: 'string' },
      bundle: { type: 'string' },
      clear: { type: 'boolean' },
    },
  });
  const b = access(v);
  const targets = [v.terminal !== undefined, v.club !== undefined, v.all === true].filter(Boolean).length;
  if (targets !== 1) throw new Usage('say which terminals: --terminal T (repeatable), --club C or --all');
  for (const t of v.terminal ?? []) if (!TerminalId.safeParse(t).success) throw new Usage(`${t} is not a terminal id`);
  let a: UpdateAnnouncement | null = null;
  if (!v.clear) {
    const facts = v.bundle
      ? await bundleFacts(v.bundle)
      : { version: v.version, sha256: v.sha256, size: v.size === undefined ? undefined : Number(v.size) };
    const parsed = UpdateAnnouncement.safeParse({ ...facts, version: v.version ?? facts.version, url: v.url });
    if (!parsed.success)
      throw new Usage(
        `the announcement: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    a = parsed.data;
  }
  const client = await connectFleet(b, systemTimers);
  try {
    let terminals = v.terminal ?? [];
    if (!v.terminal) {
      const rows = fleetRows(await readStatuses(client, systemTimers));
      terminals = rows.filter((r) => v.all || r.club === v.club).map((r) => r.terminal);
      if (terminals.length === 0) {
        process.stderr.write(
          `klubkort fleet update: no terminal ${v.all ? 'has a status' : `of club ${v.club} has a status`}; nothing announced\n`,
        );
        return 1;
      }
    }
    await announce(client, terminals, a);
    process.stdout.write(
      terminals.map((t) => (a ? `announced ${a.version} to ${t}` : `withdrew the announcement of ${t}`)).join('\n') +
        '\n',
    );
    return 0;
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

export async function fleetCommand(argv: string[]): Promise<number> {
  try {
    return argv[0] === 'update' ? await update(argv.slice(1)) : await list(argv);
  } catch (e) {
    const usage = e instanceof Usage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`klubkort fleet: ${(e as Error).message}\n${usage ? `${HELP.fleet}\n` : ''}`);
    return usage ? 64 : 1;
  }
}
