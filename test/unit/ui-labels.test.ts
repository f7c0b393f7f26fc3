import test from 'ava';
import { LABELS, keyCap, reasonLabel, tooSmallText, errorTitle } from '../../firmware/ui/labels.ts';
import { text } from '../../firmware/words.ts';

const REASONS = [
  'insufficient_funds',
  'blocked',
  'unknown_card',
  'limit',
  'reversed',
  'invalid',
  'offline_limit',
  'stale',
];

test('Danish and English have the same labels, none empty', (t) => {
  t.deepEqual(Object.keys(LABELS.en).sort(), Object.keys(LABELS.da).sort());
  for (const lang of ['da', 'en'] as const)
    for (const [k, v] of Object.entries(LABELS[lang])) t.true(v.length > 0, `${lang}.${k}`);
  t.is(LABELS.da.noPhoto, 'Intet foto — tjek barnet');
  t.is(LABELS.en.noPhoto, 'No photo — check the child');
});

test('every refusal reason of the contract is translated in both languages', (t) => {
  for (const r of REASONS) {
    const da = reasonLabel('da', r),
      en = reasonLabel('en', r);
    t.not(da, r);
    t.not(en, r);
    t.not(da, en);
  }
  t.is(reasonLabel('da', 'insufficient_funds'), 'Ikke penge nok på kortet');
  t.is(reasonLabel('en', 'something_new'), 'something_new');
});

test('key caps, error titles, the too-small note', (t) => {
  t.is(keyCap('enter'), 'Enter');
  t.is(keyCap('escape'), 'Esc');
  t.is(keyCap('f2'), 'F2');
  t.is(keyCap('up/down'), '↑↓');
  t.is(keyCap('1-9'), '1–9');
  t.is(keyCap('7'), '7');
  t.is(errorTitle('da', 'reader').title, 'Kortlæseren er ikke tilsluttet');
  t.is(errorTitle('en', 'broker').title, 'No connection to the server');
  t.is(errorTitle('en', 'config').title, 'Configuration problem');
  t.is(tooSmallText('en', 50, 16), 'Terminal too small — needs at least 50×16');
  t.regex(tooSmallText('da', 50, 16), /for lille.*50×16/);
});

test('one word table: messages, screen words and hints from it; a key not in it does not compile', (t) => {
  t.is(text('da', 'saleApproved'), 'Godkendt');
  t.is(text('en', 'hintNextCustomer'), 'Next customer');
  t.is(LABELS.da.approved, 'GODKENDT');
  // The typecheck (npm test) fails here if a mistyped key ever compiled (a Record<string, …> table).
  // @ts-expect-error: not a word of the table
  t.throws(() => text('da', 'hintClaer'));
});
