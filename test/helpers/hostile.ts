// Malformed and hostile payloads for every topic a terminal listens to, each with what the
// terminal must do with it: reject it at the link, or apply nothing and count why (a stale record,
// a photo that fails its checks, a result that settles nothing). None of them may change state.
import { createHash, randomUUID } from 'node:crypto';
import { topics } from '../../contract/index.ts';
import type { CardRecord, Catalog } from '../../contract/index.ts';
import type { Rng } from './random.ts';

/** Where a payload must end up. */
export type Expect =
  | 'link' // LedgerLink rejects it (counters.rejected)
  | 'staleRecord'
  | 'staleCatalog'
  | 'photoDropped'
  | 'ignoredResult' // LedgerSync counters
  | 'sim'; // the simulated devices reject it (logged)

export interface Hostile {
  topic: string;
  payload: string | Buffer;
  expect: Expect;
  what: string;
}

export interface Target {
  clubId: string;
  terminalId: string;
  /** Cached cards (their records are the base of the stale and mutated ones). */
  cards: CardRecord[];
  catalog: Catalog;
  /** A sale in the outbox with `offline: true`, for results that must not settle it. */
  queuedOfflineTxId: string;
}

const json = (v: unknown) => JSON.stringify(v);
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Values no field of the contract accepts, whatever its type (raw JSON text). */
const ANY_BAD = [
  'null',
  '[]',
  '{}',
  'true',
  '"x"',
  '-1',
  '12.5',
  '1e400',
  '"NaN"',
  '"Infinity"',
  '9007199254740993',
  '"\\u0000"',
  nested(50),
];
const BAD_MONEY = [
  '12.5',
  '0.1',
  '"100"',
  '1e400',
  '-1e400',
  '"NaN"',
  'null',
  '9007199254740993',
  'true',
  '[100]',
  '{"øre":100}',
];
const BAD_STRING = ['5', 'null', 'true', '[]', '{}', '""'];

/** Text that is not JSON at all. */
function notJson(r: Rng): string | Buffer {
  return r.pick<() => string | Buffer>([
    () => 'not json',
    () => '{"cardUid": ',
    () => "{'single': 'quotes'}",
    () => 'NaN',
    () => '{"a":1}}',
    () => r.bytes(r.int(1, 200)),
    () => Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"')]),
    () => 'x'.repeat(r.int(1000, 200_000)),
  ])();
}

/** A JSON object from `base` with one field replaced by raw JSON text. */
function withField(base: object, field: string, raw: string): string {
  const rest = Object.fromEntries(Object.entries(base).filter(([k]) => k !== field));
  const body = json(rest).slice(1, -1);
  return `{${body}${body ? ',' : ''}${json(field)}:${raw}}`;
}

/** A valid-format UID that no cached card has. */
function otherUid(r: Rng): string {
  return r
    .bytes(r.pick([4, 7, 10]))
    .toString('hex')
    .toUpperCase();
}

function badUidInTopic(r: Rng, real: string): string {
  return r.pick([
    real.toLowerCase(),
    real.slice(0, -1),
    real + '0',
    'ZZZZZZZZ',
    '04A23B5C7D2E8',
    'Ø4A23B5C',
    ' 8E3F2A10',
    'x'.repeat(r.int(21, 300)),
    '8E3F2A10'.repeat(3),
    '..',
    '',
  ]);
}

function card(r: Rng, t: Target): Hostile {
  const base = r.pick(t.cards);
  const topic = topics.card(t.clubId, base.cardUid);
  const kind = r.int(0, 9);
  switch (kind) {
    case 0:
      return { topic, payload: notJson(r), expect: 'link', what: 'card: not JSON' };
    case 1:
      return {
        topic,
        payload: r.pick(['null', '5', '"card"', '[]', 'true', '{}']),
        expect: 'link',
        what: 'card: not an object',
      };
    case 2: {
      const field = r.pick(['balance', 'version']);
      return {
        topic,
        payload: withField(
          { ...base, version: base.version + 1 },
          field,
          r.pick(field === 'balance' ? BAD_MONEY : [...BAD_MONEY, '-1']),
        ),
        expect: 'link',
        what: `card: bad ${field}`,
      };
    }
    case 3: {
      const field = r.pick(['cardUid', 'holderId', 'name', 'status', 'updatedAt', 'photo']);
      const bad: Record<string, string[]> = {
        cardUid: [...BAD_STRING, json(otherUid(r)), json(base.cardUid.toLowerCase())],
        holderId: [...BAD_STRING, json('h'.repeat(129))],
        name: [...BAD_STRING, json('N'.repeat(r.int(201, 100_000))), `{"first":${nested(r.int(100, 5000))}}`],
        status: ['"closed"', '"ACTIVE"', '"active "', 'null', '1'],
        updatedAt: ['"yesterday"', '"2026-11-24T09:15:02Z"', '"2026-11-24 09:15:02.120"', '1732439702120', 'null'],
        photo: ['"abc"', json('A'.repeat(64)), json('g'.repeat(64)), '5', '[]'],
      };
      return {
        topic,
        payload: withField({ ...base, version: base.version + 1 }, field, r.pick(bad[field]!)),
        expect: 'link',
        what: `card: bad ${field}`,
      };
    }
    case 4: {
      // A required field (contract 1.0): the optional ones of 1.1 may be absent.
      const field = r.pick(['cardUid', 'holderId', 'name', 'photo', 'status', 'balance', 'version', 'updatedAt']);
      const rest = Object.fromEntries(
        Object.entries({ ...base, version: base.version + 1 }).filter(([k]) => k !== field),
      );
      return { topic, payload: json(rest), expect: 'link', what: `card: no ${field}` };
    }
    case 5:
      return {
        topic: topics.card(t.clubId, badUidInTopic(r, base.cardUid)),
        payload: json({ ...base, version: base.version + 1 }),
        expect: 'link',
        what: 'card: malformed UID in topic',
      };
    case 6: {
      // A hostile prototype: must neither pollute nor pass for a record.
      const payload = `{"__proto__":{"status":"active","balance":100000},"constructor":{"prototype":{"x":1}},${withField({ ...base, version: base.version + 1 }, 'balance', '"lots"').slice(1)}`;
      return { topic, payload, expect: 'link', what: 'card: __proto__' };
    }
    case 7:
      return {
        topic,
        payload: withField(
          { ...base, version: base.version + 1 },
          'balance',
          r.pick(ANY_BAD.filter((v) => v !== '-1')),
        ),
        expect: 'link',
        what: 'card: any bad balance',
      };
    default: {
      // Out of order / stale: a well-formed record at or below the cached version (with other contents).
      const version = r.int(0, base.version);
      return {
        topic,
        payload: json({
          ...base,
          version,
          balance: r.int(-100_000, 1_000_000),
          name: 'Mallory Stale',
          status: r.pick(['active', 'blocked']),
        }),
        expect: 'staleRecord',
        what: 'card: stale version',
      };
    }
  }
}

function photo(r: Rng, t: Target): Hostile {
  const known = t.cards.map((c) => c.photo).filter((p): p is string => p !== null);
  const sha = r.chance(0.5) && known.length ? r.pick(known) : createHash('sha256').update(r.bytes(16)).digest('hex');
  switch (r.int(0, 4)) {
    case 0:
      return {
        topic: topics.photo(t.clubId, r.pick(['abc', sha.toUpperCase(), sha.slice(1), sha + 'a', 'z'.repeat(64), ''])),
        payload: Buffer.concat([PNG_MAGIC, r.bytes(64)]),
        expect: 'link',
        what: 'photo: malformed hash in topic',
      };
    case 1:
      return {
        topic: topics.photo(t.clubId, sha),
        payload: r.bytes(r.int(1, 4096)),
        expect: 'photoDropped',
        what: 'photo: not an image',
      };
    case 2:
      return {
        topic: topics.photo(t.clubId, sha),
        payload: Buffer.concat([PNG_MAGIC, r.bytes(r.int(1, 4096))]),
        expect: 'photoDropped',
        what: 'photo: PNG with the wrong hash',
      };
    case 3:
      return {
        topic: topics.photo(t.clubId, sha),
        payload: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), r.bytes(r.int(1, 4096))]),
        expect: 'photoDropped',
        what: 'photo: JPEG with the wrong hash',
      };
    default: {
      // Over 256 KiB, even with the right hash.
      const bytes = Buffer.concat([PNG_MAGIC, r.bytes(256 * 1024)]);
      return {
        topic: topics.photo(t.clubId, createHash('sha256').update(bytes).digest('hex')),
        payload: bytes,
        expect: 'photoDropped',
        what: 'photo: too large',
      };
    }
  }
}

function catalog(r: Rng, t: Target): Hostile {
  const topic = topics.catalog(t.clubId);
  const v = t.catalog.version + 1;
  const item = { sku: 'x', name: 'X', price: 100, category: 'c' };
  switch (r.int(0, 6)) {
    case 0:
      return { topic, payload: notJson(r), expect: 'link', what: 'catalog: not JSON' };
    case 1:
      return {
        topic,
        payload: r.pick(['[]', 'null', '{}', `{"version":${v}}`, `{"items":[]}`, `{"version":${v},"items":{}}`]),
        expect: 'link',
        what: 'catalog: shape',
      };
    case 2:
      return {
        topic,
        payload: json({ version: v, items: [item] }).replace('"price":100', `"price":${r.pick([...BAD_MONEY, '-5'])}`),
        expect: 'link',
        what: 'catalog: bad price',
      };
    case 3:
      return {
        topic,
        payload: withField({ version: v, items: [item] }, 'version', r.pick(['1.5', '-1', '"2"', '1e400', 'null'])),
        expect: 'link',
        what: 'catalog: bad version',
      };
    case 4:
      return {
        topic,
        payload: json({ version: v, items: Array.from({ length: 1001 }, (_, i) => ({ ...item, sku: `s${i}` })) }),
        expect: 'link',
        what: 'catalog: too many items',
      };
    case 5:
      return {
        topic,
        payload: `{"version":${v},"items":[${r.pick([nested(r.int(10, 10_000)), json({ ...item, name: 'N'.repeat(100_001) }), json({ ...item, sku: '' })])}]}`,
        expect: 'link',
        what: 'catalog: hostile item',
      };
    default:
      return {
        topic,
        payload: json({ version: r.int(0, t.catalog.version), items: [{ ...item, name: 'Stale' }] }),
        expect: 'staleCatalog',
        what: 'catalog: stale version',
      };
  }
}

function config(r: Rng, t: Target): Hostile {
  const topic = topics.config(t.terminalId);
  const good = { maxPurchase: 19999, offline: { perCardLimit: 10000, terminalLimit: 300000, maxAgeSeconds: 86400 } };
  switch (r.int(0, 3)) {
    case 0:
      return { topic, payload: notJson(r), expect: 'link', what: 'config: not JSON' };
    case 1:
      return {
        topic,
        payload: withField(good, 'maxPurchase', r.pick([...BAD_MONEY, '-1'])),
        expect: 'link',
        what: 'config: bad maxPurchase',
      };
    case 2: {
      const field = r.pick(['perCardLimit', 'terminalLimit', 'maxAgeSeconds']);
      return {
        topic,
        payload: json(good).replace(
          `"${field}":${good.offline[field as keyof typeof good.offline]}`,
          `"${field}":${r.pick([...BAD_MONEY, '-1'])}`,
        ),
        expect: 'link',
        what: `config: bad ${field}`,
      };
    }
    default:
      return {
        topic,
        payload: r.pick(['{}', '[]', '{"maxPurchase":100}', '{"offline":null,"maxPurchase":1}', 'null']),
        expect: 'link',
        what: 'config: shape',
      };
  }
}

function result(r: Rng, t: Target): Hostile {
  const topic = topics.results(t.terminalId);
  const ok = { txId: randomUUID(), type: 'sale', status: 'approved', balance: 100, cardVersion: 7, offline: true };
  switch (r.int(0, 5)) {
    case 0:
      return { topic, payload: notJson(r), expect: 'link', what: 'result: not JSON' };
    case 1: {
      const field = r.pick(['txId', 'type', 'status', 'reason', 'balance', 'cardVersion', 'offline']);
      const bad: Record<string, string[]> = {
        txId: ['"nope"', '5', 'null', json(t.queuedOfflineTxId.toUpperCase() + 'x'), json('0'.repeat(36))],
        type: ['"refund"', 'null', '"SALE"'],
        status: ['"ok"', 'true', 'null'],
        reason: ['"because"', '5'],
        balance: BAD_MONEY.filter((v) => v !== 'null'),
        cardVersion: ['-1', '1.5', '"7"'],
        offline: ['"yes"', '1', 'null'],
      };
      return {
        topic,
        payload: withField(ok, field, r.pick(bad[field]!)),
        expect: 'link',
        what: `result: bad ${field}`,
      };
    }
    case 2:
      return {
        topic,
        payload: json({ ...ok, status: 'declined' }),
        expect: 'link',
        what: 'result: decline without reason',
      };
    case 3:
      return {
        topic,
        payload: json({ ...ok, txId: randomUUID(), type: r.pick(['sale', 'void', 'reversal']) }),
        expect: 'ignoredResult',
        what: 'result: unknown txId',
      };
    case 4:
      return {
        topic,
        payload: json({ ...ok, txId: t.queuedOfflineTxId, type: r.pick(['void', 'reversal']) }),
        expect: 'ignoredResult',
        what: 'result: wrong type for a queued txId',
      };
    default:
      return {
        topic,
        payload: json({
          ...ok,
          txId: t.queuedOfflineTxId,
          offline: r.pick([false, undefined]),
          status: r.pick(['approved', 'declined']),
          reason: 'insufficient_funds',
        }),
        expect: 'ignoredResult',
        what: 'result: online answer to an offline sale',
      };
  }
}

function unknownTopic(r: Rng, t: Target): Hostile {
  const club = `klubkort/v1/clubs/${t.clubId}`;
  const topic = r.pick([
    `${club}/cards`,
    `${club}/cards/${t.cards[0]!.cardUid}/extra`,
    `${club}/photos`,
    `${club}/catalog/x`,
    `${club}/members/1`,
    `${club}/`,
  ]);
  return { topic, payload: json({ version: 1, items: [] }), expect: 'link', what: 'unexpected topic' };
}

function sim(r: Rng, t: Target): Hostile {
  const reader = topics.simReader(t.terminalId);
  const keys = topics.simKeys(t.terminalId);
  const realUid = r.pick(t.cards).cardUid;
  const [topic, payload] = r.pick<[string, string | Buffer]>([
    [reader, notJson(r)],
    [keys, notJson(r)],
    [reader, json({ action: 'tap', uid: realUid.toLowerCase() })],
    [reader, json({ action: 'tap', uid: badUidInTopic(r, realUid) || 'X' })],
    [reader, json({ action: 'tap' })],
    [reader, json({ action: 'TAP', uid: realUid })],
    [reader, json({ action: 'explode' })],
    [reader, json({ uid: realUid })],
    [reader, `{"action":${nested(r.int(1, 5000))}}`],
    [reader, 'null'],
    [keys, json({ key: 'F1' })],
    [keys, json({ key: 'enter ' })],
    [keys, json({ key: 5 })],
    [keys, json({ key: 'f13' })],
    [keys, json({ key: 'x'.repeat(r.int(100, 100_000)) })],
    [keys, json({ keys: ['enter'] })],
    [keys, '[]'],
    [keys, json({ key: null })],
  ]);
  return { topic, payload, expect: 'sim', what: 'sim: malformed' };
}

const MAKERS = [card, card, card, photo, catalog, config, result, result, unknownTopic, sim, sim];

/** `n` hostile payloads for `t`, spread over every topic the terminal listens to. */
export function hostilePayloads(r: Rng, t: Target, n: number): Hostile[] {
  return Array.from({ length: n }, () => r.pick(MAKERS)(r, t));
}

/** The 10 MB "photo": dropped without crashing (a broker with no packet limit delivers it whole). */
export function hugePhoto(t: Pick<Target, 'clubId'>): Hostile {
  const bytes = Buffer.alloc(10 * 1024 * 1024, 0x42);
  PNG_MAGIC.copy(bytes);
  return {
    topic: topics.photo(t.clubId, createHash('sha256').update(bytes).digest('hex')),
    payload: bytes,
    expect: 'photoDropped',
    what: 'photo: 10 MB',
  };
}
