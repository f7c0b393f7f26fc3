// The daemon's side of the PC/SC child process (hal/pi/reader/pcsc-proxy.ts) against stand-in children
// (helpers/fake-pcsc-child.ts): malformed messages change nothing, a frozen child is killed and
// ends its readers and context, an unanswered call is rejected, closing the context ends the child.
// The real child on the real PC/SC stack: system/pi-reader-hang.test.ts, system/reader-pcscd.test.ts.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { childNfcFactory, type PcscChildOptions } from '../../hal/pi/reader/pcsc-proxy.ts';
import type { NfcLike, NfcReaderLike } from '../../hal/pi/reader/pcsc-session.ts';
import { createLogger } from '../../lib/log.ts';
import { until } from '../helpers/until.ts';

const FAKE = fileURLToPath(new URL('../helpers/fake-pcsc-child.ts', import.meta.url));

async function open(mode: string, o: Partial<PcscChildOptions> = {}) {
  let logs = '';
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(c, _e, cb) {
        logs += String(c);
        cb();
      },
    }),
  });
  const nfc = (await childNfcFactory({
    log,
    heartbeatMs: 250,
    ...o,
    entry: { path: FAKE, execArgv: ['--import', 'tsx'], args: [mode] },
  })()) as NfcLike & { pid: number };
  const events: string[] = [];
  const readers: NfcReaderLike[] = [];
  nfc.on('error', (err) => events.push(`error ${err.message}`));
  nfc.on('reader', (r) => {
    readers.push(r);
    events.push(`reader ${r.name}`);
    r.on('end', () => events.push(`end ${r.name}`));
  });
  return { nfc, events, readers, logs: () => logs };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('malformed messages from the child are logged and change nothing; the good ones after them work', async (t) => {
  const c = await open('garbage');
  t.teardown(() => c.nfc.close());
  await until(() => c.readers.length === 1, 'the reader');
  t.deepEqual(c.events, ['reader Fake PCD'], 'no reader -1, no card with a bad ATR');
  t.is(c.logs().split('malformed message from the PC/SC child process ignored').length - 1, 4);
  t.deepEqual(await c.readers[0]!.transmit(Buffer.from('ffca000000', 'hex'), 12), Buffer.from('ffca000000', 'hex'));
});

test('a child whose event loop stops is killed: its readers end, the context errs, a call under way is rejected', async (t) => {
  const c = await open('frozen', { callTimeoutMs: 60_000 });
  t.teardown(() => c.nfc.close());
  await until(() => c.readers.length === 1, 'the reader');
  const call = c.readers[0]!.transmit(Buffer.from('00', 'hex'), 2).catch((err: Error) => err.message);
  await until(() => c.events.some((e) => e.startsWith('error')), 'the context error', 10_000);
  t.deepEqual(c.events, ['reader Fake PCD', 'end Fake PCD', 'error the PC/SC child process ended (SIGKILL)']);
  t.regex(c.logs(), /PC\/SC child process stopped answering its heartbeat/);
  t.regex(String(await call), /ended|gone/);
  t.false(alive(c.nfc.pid));
});

test('a reader call the child never answers is rejected at its deadline; the child lives on; closing the context ends it', async (t) => {
  const c = await open('mute', { callTimeoutMs: 300 });
  await until(() => c.readers.length === 1, 'the reader');
  await t.throwsAsync(c.readers[0]!.transmit(Buffer.from('00', 'hex'), 2), {
    message: /no answer from the PC\/SC child process within 300 ms/,
  });
  t.true(alive(c.nfc.pid));
  c.nfc.close();
  await until(() => !alive(c.nfc.pid), 'the child gone', 10_000);
  t.deepEqual(c.events, ['reader Fake PCD'], 'a context closed on purpose reports no error');
});
