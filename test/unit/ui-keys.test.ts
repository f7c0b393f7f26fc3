import test from 'ava';
import { keyFromBlessed as mapKey } from '../../firmware/ui/tty-keypad.ts';
import { KEY_NAMES, type KeyName } from '../../contract/index.ts';

test('digits, Enter, Esc, Backspace, arrows and F1–F12 become contract key names', (t) => {
  for (const d of '0123456789') t.is(mapKey(d, { sequence: d }), d as KeyName);
  t.is(mapKey('\r', { name: 'enter', sequence: '\r' }), 'enter');
  t.is(mapKey('\n', { name: 'linefeed', sequence: '\n' }), 'enter');
  t.is(mapKey(undefined, { name: 'escape', sequence: '\x1b' }), 'escape');
  t.is(mapKey('\x7f', { name: 'backspace', sequence: '\x7f' }), 'backspace');
  t.is(mapKey(undefined, { name: 'up' }), 'up');
  t.is(mapKey(undefined, { name: 'down' }), 'down');
  for (let i = 1; i <= 12; i++) t.is(mapKey(undefined, { name: `f${i}` }), `f${i}` as KeyName);
});

test('blessed reports Enter twice (enter + return): only one counts', (t) => {
  t.is(mapKey('\r', { name: 'return', sequence: '\r' }), null);
});

test('a USB numeric keypad: its top row stands in for F2, F3 and Esc; NumLock-off keys still work', (t) => {
  t.is(mapKey('/', {}), 'f2');
  t.is(mapKey('*', {}), 'f3');
  t.is(mapKey('-', {}), 'escape');
  t.is(mapKey('+', {}), 'down');
  t.is(mapKey('.', {}), 'backspace');
  t.is(mapKey(undefined, { name: 'pageup' }), 'up');
  t.is(mapKey(undefined, { name: 'pagedown' }), 'down');
  t.is(mapKey(undefined, { name: 'delete' }), 'backspace');
});

test('letters, modified keys and everything else are not cashier keys', (t) => {
  t.is(mapKey('k', { name: 'k' }), null);
  t.is(mapKey('1', { name: '1', meta: true }), null);
  t.is(mapKey('\x03', { name: 'c', ctrl: true }), null);
  t.is(mapKey(undefined, { name: 'left' }), null);
  t.is(mapKey('x', {}), null);
});

test('every key name the mapping produces is in the contract', (t) => {
  const produced = ['0', '5', '/', '*', '-']
    .map((c) => mapKey(c, {}))
    .concat(
      ['enter', 'escape', 'backspace', 'up', 'down', 'f1', 'f12', 'pageup', 'delete'].map((n) =>
        mapKey(undefined, { name: n }),
      ),
    );
  for (const k of produced) t.true((KEY_NAMES as readonly string[]).includes(k!), String(k));
});
