// The GPIO character-device driver with the real Debian gpiod tools where they can run without a
// GPIO chip (version probe, a lookup): the system lane (apt-get install gpiod).
import test from 'ava';
import { findLine, probeGpiod, systemGpiodRunner } from '../../hal/pi/gpio/gpio-gpiod.ts';

test('the real Debian tools: version probe and a lookup on a machine without GPIO chips', async (t) => {
  const tools = await probeGpiod(systemGpiodRunner).catch((e: Error) =>
    t.fail(`${e.message} (the test command installs Debian's gpiod)`),
  );
  if (!tools) return;
  t.true(tools.major === 1 || tools.major === 2);
  t.regex(tools.version, /^\d+\.\d+/);
  await t.throwsAsync(findLine(systemGpiodRunner, tools, 'GPIO17'), {
    message: /^no GPIO line named GPIO17|unable to/,
  });
});
