// The PC/SC child process: nfc-pcsc and its native @pokusew/pcsclite, run by the daemon with
// child_process.fork (pcsc-proxy.ts) so that nothing PC/SC does can block the daemon's event loop
// (pcsclite waits on a reader's mutex in the main thread while a hung SCardTransmit holds it, and a
// hung pcscd stalls every call, close() and `new NFC()` included). One child is one PC/SC context.
// It writes nothing to stdout or stderr but its own failures: no UID ever passes through its logs
// (nfc-pcsc gets no logger, and its automatic UID read is off), and it leaves with its parent.
import type { NFC, Reader } from 'nfc-pcsc';
import { type FromChild, fromHex, ToChild, toHex, type ReaderCall } from './pcsc-ipc.ts';

function send(m: FromChild): void {
  if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
}

const readers = new Map<number, Reader>();
let nextReader = 0;

async function perform(r: Reader, c: ReaderCall): Promise<Buffer | undefined> {
  switch (c.op) {
    case 'connect':
      await r.connect(c.mode);
      return undefined;
    case 'disconnect':
      await r.disconnect();
      return undefined;
    case 'transmit':
      return r.transmit(fromHex(c.data), c.max);
    case 'control':
      return r.control(fromHex(c.data), c.max);
  }
}

function onMessage(raw: unknown): void {
  const parsed = ToChild.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write('klubkort pcsc child: malformed message from the daemon ignored\n');
    return;
  }
  const m = parsed.data;
  switch (m.t) {
    case 'ping':
      return send({ t: 'pong', id: m.id });
    case 'closeReader': {
      const r = readers.get(m.reader);
      readers.delete(m.reader);
      try {
        r?.close();
      } catch {
        /* already closed, or pcscd gone */
      }
      return;
    }
    case 'call': {
      const r = readers.get(m.reader);
      // nfc-pcsc throws synchronously when not connected: inside the async function it rejects.
      const run = async () => {
        if (!r) throw new Error('reader closed');
        return perform(r, m.call);
      };
      run().then(
        (data) => send({ t: 'result', id: m.id, ...(data !== undefined ? { data: toHex(data) } : {}) }),
        (err: unknown) => send({ t: 'result', id: m.id, error: messageOf(err) }),
      );
    }
  }
}

const messageOf = (err: unknown): string => String((err as Error)?.message ?? err).slice(0, 2000);

function watch(nfc: NFC): void {
  nfc.on('error', (err) => send({ t: 'error', message: messageOf(err) }));
  nfc.on('reader', (r) => {
    const n = nextReader++;
    readers.set(n, r);
    // Before any card can come: the driver reads UIDs itself, and none may pass through here unasked.
    r.autoProcessing = false;
    r.on('card', (card) =>
      send({
        t: 'card',
        reader: n,
        ...(card?.atr ? { atr: toHex(card.atr) } : {}),
        ...(card?.standard ? { standard: card.standard } : {}),
      }),
    );
    r.on('card.off', () => send({ t: 'cardOff', reader: n }));
    r.on('error', (err) => send({ t: 'readerError', reader: n, message: messageOf(err) }));
    r.on('end', () => {
      readers.delete(n);
      send({ t: 'end', reader: n });
    });
    send({ t: 'reader', reader: n, name: r.name });
  });
}

// The daemon gone (exited, killed): nothing here is anyone's any more. Not process.exit(): its
// cleanup waits for threadpool threads, which a hung pcscd holds; pcscd frees what a dead client had.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
process.on('message', onMessage);
try {
  const { NFC } = await import('nfc-pcsc');
  // Blocks this process (never the daemon) while pcscd does not answer; the heartbeat sees it.
  const nfc = new NFC();
  watch(nfc);
  send({ t: 'ready' });
} catch (err) {
  if (process.connected)
    process.send?.({ t: 'fatal', message: messageOf(err) } satisfies FromChild, undefined, undefined, () =>
      process.exit(1),
    );
  else process.exit(1);
}
