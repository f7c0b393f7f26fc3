// AES-CMAC against RFC 4493's examples, the SUN against the contract's check value (NXP AN12196),
// and the key diversification's properties.
import test from 'ava';
import { aesCmac, cbcDecrypt, pad80, truncateMac, unpad80 } from '../../hal/ntag424/aes.ts';
import { Ev2Session } from '../../hal/ntag424/secure-messaging.ts';
import { sdmMacSessionKey, sunCmac, sunCmacValid } from '../../hal/ntag424/sun.ts';
import { cardKeys, diversifyKey, parseMasterKey } from '../../hal/ntag424/diversify.ts';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const K = h('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const M = h(`6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51
  30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710`);

test('AES-CMAC: RFC 4493 examples 1-4', (t) => {
  t.is(aesCmac(K, M.subarray(0, 0)).toString('hex'), 'bb1d6929e95937287fa37d129b756746');
  t.is(aesCmac(K, M.subarray(0, 16)).toString('hex'), '070a16b46b4d4144f79bdd9dd04a287c');
  t.is(aesCmac(K, M.subarray(0, 40)).toString('hex'), 'dfa66747de9ae63030ca32611497c827');
  t.is(aesCmac(K, M).toString('hex'), '51f0bebf7e3b9d92fc49741779363cfe');
});

test('SUN: the contract check value (K = 16 zero bytes, UID 04DE5F1EACC040, ctr 61)', (t) => {
  const k = Buffer.alloc(16);
  t.is(sunCmac(k, '04DE5F1EACC040', 61), '94EED9EE65337086');
  t.true(sunCmacValid(k, '04DE5F1EACC040', 61, '94EED9EE65337086'));
  t.false(sunCmacValid(k, '04DE5F1EACC040', 62, '94EED9EE65337086'), 'another counter');
  t.false(sunCmacValid(k, '04DE5F1EACC041', 61, '94EED9EE65337086'), 'another uid');
  t.false(sunCmacValid(Buffer.alloc(16, 1), '04DE5F1EACC040', 61, '94EED9EE65337086'), 'another key');
  t.false(sunCmacValid(k, '04DE5F1EACC040', 61, '94eed9ee65337086'), 'lower case is not the contract form');
  t.throws(() => sdmMacSessionKey(k, '04DE5F1EACC0', 61), { message: /7 bytes/ });
  t.throws(() => sdmMacSessionKey(k, '04DE5F1EACC040', 0x1000000), { message: /range/ });
});

test('truncation and padding', (t) => {
  t.is(truncateMac(h('000102030405060708090a0b0c0d0e0f')).toString('hex'), '01030507090b0d0f');
  t.is(pad80(Buffer.alloc(0)).toString('hex'), '80' + '00'.repeat(15));
  t.is(pad80(Buffer.alloc(16)).length, 32);
  t.deepEqual(unpad80(pad80(h('0102'))), h('0102'));
  t.is(unpad80(Buffer.alloc(16)), null);
});

test('diversified keys: one per card, per key number and per system; the master key is checked', (t) => {
  const master = parseMasterKey('00112233445566778899aabbccddeeff');
  const a = cardKeys(master, '04DE5F1EACC040', 'klubkort');
  t.is(new Set(a.map((k) => k.toString('hex'))).size, 5);
  t.notDeepEqual(diversifyKey(master, '04DE5F1EACC041', 2, 'klubkort'), a[2]);
  t.notDeepEqual(diversifyKey(master, '04DE5F1EACC040', 2, 'other'), a[2]);
  t.deepEqual(diversifyKey(master, '04DE5F1EACC040', 2, 'klubkort'), a[2], 'deterministic');
  t.throws(() => parseMasterKey('0011'), { message: /32 hex/ });
  t.throws(() => diversifyKey(master, '04DE5F1EACC040', 0, 'x'.repeat(24)), { message: /system id/ });
});

test("EV2 session keys: NXP AN12196's AuthenticateEV2First example (key 0 = 16 zero bytes)", (t) => {
  const k = Buffer.alloc(16);
  const rndB = cbcDecrypt(k, Buffer.alloc(16), h('A04C124213C186F22399D33AC2A30215'));
  t.is(rndB.toString('hex'), 'b9e2fc789b64bf237cccaa20ec7e6e48');
  const s = Ev2Session.derive(k, h('13C5DB8A5930439FC3DEF9A4C675360F'), rndB, h('9D00C4DF'), 0);
  t.is(s.encKey.toString('hex'), '1309c877509e5a215007ff0ed19ca564');
  t.is(s.macKey.toString('hex'), '4c6626f5e72ea694202139295c7a7fc7');
});
