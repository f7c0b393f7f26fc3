// A stand-in for hal/pi/reader/pcsc-child.ts, forked by the proxy in test/unit/hal-pi-pcsc-proxy.test.ts:
// `garbage` sends malformed messages before the good ones, `frozen` stops its event loop at the
// first reader call (as pcsclite's mutex does), `mute` never answers a reader call. Otherwise it
// answers pings, says it is ready, reports reader 0 "Fake PCD", and echoes transmit's bytes.
const mode = process.argv[2];
const send = (m: unknown) => process.send!(m);
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { t: string; id: number; call?: { op: string; data?: string } }) => {
  if (m.t === 'ping') send({ t: 'pong', id: m.id });
  if (m.t === 'call' && mode === 'frozen')
    for (;;) {
      /* a native call that never returns */
    }
  if (m.t === 'call' && mode !== 'mute')
    send({ t: 'result', id: m.id, ...(m.call?.op === 'transmit' ? { data: m.call.data } : {}) });
});
if (mode === 'garbage') {
  send('not an object');
  send({ t: 'reader', reader: -1, name: 'negative' });
  send({ t: 'card', reader: 0, atr: 'xyz' });
  send({ t: 'nonsense' });
}
send({ t: 'ready' });
send({ t: 'reader', reader: 0, name: 'Fake PCD' });
