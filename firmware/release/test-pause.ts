// A hook for the power-cut tests (test/system/update-agent-nspawn.test.ts) and nothing else: with
// KLUBKORT_TEST_PAUSE_AT=<step> in its environment a process says so when it reaches that step of
// an update and waits there for ever, for the test to cut the power (kill the container) at exactly
// that moment. No terminal's unit sets it: everywhere else this returns at once.
export const PAUSE_STEPS = [
  'after-unpack',
  'after-previous',
  'after-current',
  'before-ready',
  'before-commit',
] as const;
export type PauseStep = (typeof PAUSE_STEPS)[number];

export const PAUSE_ENV = 'KLUBKORT_TEST_PAUSE_AT';

export function testPause(
  step: PauseStep,
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (env[PAUSE_ENV] !== step) return Promise.resolve();
  say(`test pause at ${step}`);
  // A timer keeps the process (and its event loop: the watchdog pings go on) alive. The global one:
  // it never fires, so there is no wait for an injected clock to step.
  return new Promise(() => setInterval(() => undefined, 1 << 30));
}
