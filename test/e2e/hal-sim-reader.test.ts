// The simulated reader turns the contract's tap message into one `card` event carrying the SUN.
import test from 'ava';
import mqtt from 'mqtt';
import { startBroker } from '../../sim/broker.ts';
import { SimBus } from '../../hal/sim/bus.ts';
import { SimReader } from '../../hal/sim/devices.ts';
import { createLogger } from '../../lib/log.ts';
import { topics } from '../../contract/index.ts';
import type { CardTap } from '../../hal/types.ts';
import { systemTimers } from '../../lib/timers.ts';

test('a tap carries its SUN; the mirrored uid defaults to the tapped one; a malformed sun is rejected', async (t) => {
  const broker = await startBroker();
  const log = createLogger({ level: 'silent' });
  const bus = new SimBus(broker.url, 'hal-sim-reader-sim', log, systemTimers);
  const reader = new SimReader(bus, 'hal-sim-reader', log);
  const taps: CardTap[] = [];
  reader.on('card', (tap) => taps.push(tap));
  await reader.start();
  const client = await mqtt.connectAsync(broker.url);
  t.teardown(async () => {
    await client.endAsync();
    await reader.stop();
    await broker.close();
  });
  const topic = topics.simReader('hal-sim-reader');
  const waitSubscribed = async () => {
    for (let i = 0; i < 100 && taps.length === 0; i++) {
      await client.publishAsync(topic, JSON.stringify({ action: 'tap', uid: '04AABBCCDDEE01' }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitSubscribed();
  taps.length = 0;
  const send = async (m: unknown) => {
    await client.publishAsync(topic, JSON.stringify(m), { qos: 1 });
  };
  await send({ action: 'tap', uid: '04DE5F1EACC040', sun: { ctr: 61, cmac: '94EED9EE65337086' } });
  await send({
    action: 'tap',
    uid: '04DE5F1EACC040',
    sun: { ctr: 62, cmac: '94EED9EE65337086', uid: '04DE5F1EACC041' },
  });
  await send({ action: 'tap', uid: '04DE5F1EACC040', sun: { ctr: 63, cmac: 'lowercase' } });
  await send({ action: 'tap', uid: '04DE5F1EACC040' });
  for (let i = 0; i < 100 && taps.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(taps, [
    { uid: '04DE5F1EACC040', sun: { uid: '04DE5F1EACC040', ctr: 61, cmac: '94EED9EE65337086' } },
    { uid: '04DE5F1EACC040', sun: { uid: '04DE5F1EACC041', ctr: 62, cmac: '94EED9EE65337086' } },
    { uid: '04DE5F1EACC040', sun: null },
  ]);
});
