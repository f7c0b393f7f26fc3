// Card records go into the journal as one JSON parameter (SQLite parses it on the thread pool, not
// the main thread): every field of every valid record reads back as it was sent, whatever its text
// or number, and each record says whether it was stored, also for a UID twice in one call.
import test from 'ava';
import fc from 'fast-check';
import { CardRecord } from '../../contract/index.ts';
import { tempJournal } from '../helpers/temp-journal.ts';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9A-F]{${n}}$`));
const text = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max });
const record = (uid: fc.Arbitrary<string>) =>
  fc
    .record(
      {
        cardUid: uid,
        holderId: text(128),
        name: text(40),
        photo: fc.option(hex(64), { nil: null }),
        status: fc.constantFrom('active' as const, 'blocked' as const),
        balance: fc.maxSafeInteger().map((n) => n),
        version: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        updatedAt: fc
          .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString()),
        rules: fc.record(
          {
            dailyLimit: fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER }), { nil: null }),
            blockedCategories: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
            note: text(50),
          },
          { requiredKeys: [] },
        ),
        spent: fc.record({ day: fc.constant('2026-12-07'), total: fc.maxSafeInteger() }),
        auth: fc.constantFrom('uid' as const, 'sun' as const),
        sunCounter: fc.nat({ max: 0xffffff }),
      },
      { requiredKeys: ['cardUid', 'holderId', 'name', 'photo', 'status', 'balance', 'version', 'updatedAt'] },
    )
    .filter((c) => CardRecord.safeParse(c).success);

test('every field of every record reads back as sent, and a record says whether it was stored', async (t) => {
  const { j } = await tempJournal(t, 'card-rows');
  const uids = ['04A1B2C3D4E5F6', '04A1B2C3D4E5F7', '04A1B2C3D4E5F8'];
  await fc.assert(
    fc.asyncProperty(
      fc.array(record(fc.constantFrom(...uids, '0A0B0C0D')), { minLength: 1, maxLength: 12 }),
      async (recs) => {
        const before = new Map(
          await Promise.all([...uids, '0A0B0C0D'].map(async (u) => [u, await j.cards.get(u)] as const)),
        );
        const stored = await j.cards.putMany(recs);
        // What each record should do, one after another: stored when newer than what is there.
        const expect = new Map(before);
        const said = recs.map((r) => {
          const there = expect.get(r.cardUid);
          if (there && there.version >= r.version) return false;
          expect.set(r.cardUid, r);
          return true;
        });
        t.deepEqual(stored, said);
        for (const [uid, rec] of expect) t.deepEqual(await j.cards.get(uid), rec, uid);
      },
    ),
    { numRuns: 150 },
  );
});
