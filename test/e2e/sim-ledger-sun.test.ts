// The reference ledger verifies `sun` cards (contract 1.1 § Genuine cards) with keys diversified from
// its master key: driven over a real embedded broker by a plain MQTT client, with SUNs read from a
// personalised simulated NTAG 424 DNA.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../../sim/broker.ts';
import { startLedger } from '../../sim/reference-ledger/ledger.ts';
import { ResultMsg, topics, type CardAuth } from '../../contract/index.ts';
import { createLogger } from '../../firmware/log.ts';
import { Ntag424Card, personalise, readSun } from '../../hal/ntag424/index.ts';

const CLUB = 'sun-klub';
const T = 'kasse-sun';
const SUN = '04DE5F1EACC040';
const UIDCARD = '8E3F2A10';
const keys = { masterKey: Buffer.from('00112233445566778899aabbccddeeff', 'hex'), systemId: 'klubkort-test' };

async function world(t: ExecutionContext) {
  const dir = await mkdtemp(join(tmpdir(), 'klubkort-ledger-sun-'));
  const broker = await startBroker();
  const ledger = await startLedger({
    brokerUrl: broker.url,
    dbPath: join(dir, 'ledger.db'),
    sun: keys,
    logger: createLogger({ level: 'silent' }),
    clubs: [
      {
        clubId: CLUB,
        terminals: [T],
        catalog: { version: 1, items: [{ sku: 'juice', name: 'Juice', price: 800, category: 'drikke' }] },
        cards: [
          { cardUid: SUN, holderId: 'h-1', name: 'Sun Test', balance: 10000, photo: null, auth: 'sun' },
          { cardUid: UIDCARD, holderId: 'h-2', name: 'Uid Test', balance: 10000, photo: null },
        ],
      },
    ],
  });
  const client = await mqtt.connectAsync(broker.url, { clientId: `${T}-${randomUUID().slice(0, 6)}` });
  const results: ResultMsg[] = [];
  client.on('message', (_t, p) => results.push(ResultMsg.parse(JSON.parse(p.toString()))));
  await client.subscribeAsync(topics.results(T), { qos: 1 });
  t.teardown(async () => {
    await client.endAsync();
    await ledger.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  const card = new Ntag424Card({ uid: SUN });
  card.powerOn();
  await personalise(async (a) => card.transmit(a), { ...keys, baseUrl: 'https://klubkort.example/k' });
  const tap = async (): Promise<CardAuth> => {
    card.powerOn();
    const s = (await readSun(async (a) => card.transmit(a)))!;
    return { ctr: s.ctr, cmac: s.cmac };
  };
  const sell = async (cardUid: string, cardAuth: CardAuth | undefined, offline = false, txId = randomUUID()) => {
    const msg = {
      type: 'sale',
      txId,
      terminalId: T,
      clubId: CLUB,
      cardUid,
      items: [{ sku: 'juice', name: 'Juice', unitPrice: 800, qty: 1 }],
      total: 800,
      createdAt: new Date().toISOString(),
      offline,
      ...(cardAuth ? { cardAuth } : {}),
    };
    await client.publishAsync(topics.tx(T), JSON.stringify(msg), { qos: 1 });
    for (let i = 0; i < 500; i++) {
      const r = results.find((x) => x.txId === txId);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error('no answer');
  };
  return { ledger, tap, sell };
}

test('online: a genuine SUN is approved and raises sunCounter; a replay, a forged cmac and a missing SUN are card_auth', async (t) => {
  const { ledger, tap, sell } = await world(t);
  const first = await tap();
  t.is((await sell(SUN, first)).status, 'approved');
  t.is(ledger.card(CLUB, SUN)!.sunCounter, first.ctr);
  const replay = await sell(SUN, first);
  t.deepEqual([replay.status, replay.reason], ['declined', 'card_auth'], 'the same SUN again');
  const next = await tap();
  const forged = await sell(SUN, {
    ctr: next.ctr,
    cmac: next.cmac.slice(0, 15) + (next.cmac.endsWith('0') ? '1' : '0'),
  });
  t.deepEqual([forged.status, forged.reason], ['declined', 'card_auth'], 'a forged cmac');
  t.deepEqual([(await sell(SUN, undefined)).reason], ['card_auth'], 'no SUN');
  t.is((await sell(SUN, next)).status, 'approved', 'the genuine read still works after the forgery');
  t.is(ledger.card(CLUB, SUN)!.balance, 10000 - 1600);
  t.is(ledger.card(CLUB, SUN)!.status, 'active');
  t.is((await sell(UIDCARD, undefined)).status, 'approved', 'a uid card as in 1.0');
});

test('offline: booked whatever; a good SUN raises the counter, a bad one blocks the card', async (t) => {
  const { ledger, tap, sell } = await world(t);
  const a = await tap();
  t.is((await sell(SUN, a, true)).status, 'approved');
  t.is(ledger.card(CLUB, SUN)!.sunCounter, a.ctr);
  t.is(ledger.card(CLUB, SUN)!.status, 'active');
  const bad = await sell(SUN, { ctr: a.ctr + 5, cmac: '0000000000000000' }, true);
  t.is(bad.status, 'approved', 'the goods were handed over: booked');
  const after = ledger.card(CLUB, SUN)!;
  t.is(after.status, 'blocked');
  t.is(after.balance, 10000 - 1600);
  t.is(after.sunCounter, a.ctr, 'a failed check accepts no counter');
  t.is((await sell(SUN, await tap())).reason, 'blocked', 'a genuine tap of the blocked card is declined as blocked');
});

test('setAuth moves a card to sun (counter 0) and back; a sun card needs a 7-byte UID', async (t) => {
  const { ledger } = await world(t);
  const c = await ledger.setAuth(CLUB, SUN, 'uid');
  t.is(c.auth, 'uid');
  t.is(c.sunCounter, undefined);
  const s = await ledger.setAuth(CLUB, SUN, 'sun');
  t.deepEqual([s.auth, s.sunCounter], ['sun', 0]);
  await t.throwsAsync(ledger.setAuth(CLUB, UIDCARD, 'sun'), { message: /7-byte/ });
});
