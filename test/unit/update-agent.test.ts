// The update agent's decisions (firmware/update/agent-machine.ts), pure: which announcement this
// terminal acts on, and each step from the download to the hand-over, with the effects asked for.
import test from 'ava';
import type { UpdateAnnouncement } from '../../contract/release.ts';
import {
  archOfUrl,
  retryDelay,
  step,
  wanted,
  type AgentEffect,
  type AgentEvent,
  type AgentFacts,
  type AgentState,
} from '../../firmware/update/agent-machine.ts';

const ann = (version = '0.2.0', o: Partial<UpdateAnnouncement> = {}): UpdateAnnouncement => ({
  version,
  url: `https://releases.example.dk/klubkort-${version}-linux-arm64.tar.gz`,
  sha256: 'a'.repeat(64),
  size: 11_000_000,
  ...o,
});
const facts = (o: Partial<AgentFacts> = {}): AgentFacts => ({
  running: '0.1.0',
  arch: 'arm64',
  rolledBack: [],
  refused: [],
  ...o,
});
const types = (effects: AgentEffect[]) => effects.map((e) => e.type);
const reported = (effects: AgentEffect[]) => effects.flatMap((e) => (e.type === 'report' ? [e.report] : []));

/** Runs events from `state`, returning every step's state and effects. */
function run(events: AgentEvent[], f = facts(), state: AgentState = { s: 'none' }) {
  const steps = [];
  for (const ev of events) {
    const r = step(state, ev, f);
    steps.push(r);
    state = r.state;
  }
  return { state, steps };
}

test('an announcement is acted on only for another version, this architecture, never one rolled back from or refused before', (t) => {
  t.deepEqual(wanted(ann(), facts()), { act: true });
  t.like(wanted(null, facts()), { act: false, why: 'no update is announced' });
  t.like(wanted(ann('0.1.0'), facts()), { act: false, why: 'release 0.1.0 is the one running' });
  t.deepEqual(
    wanted(ann('0.0.9'), facts()),
    { act: true },
    'an older version is installed too: the fleet decides what runs',
  );
  t.like(wanted(ann(), facts({ rolledBack: ['0.2.0'] })), {
    act: false,
    why: 'release 0.2.0 was rolled back from on this terminal: not installed again',
  });
  t.like(wanted(ann(), facts({ arch: 'x64' })), { act: false, why: 'the bundle is for arm64, this terminal is x64' });
  t.deepEqual(
    wanted(ann('0.2.0', { url: 'https://h/bundle.tgz' }), facts({ arch: 'x64' })),
    { act: true },
    'a name that says nothing: the signed manifest decides',
  );
  const refusal = { version: '0.2.0', sha256: 'a'.repeat(64), error: 'refused (signature): …' };
  t.like(wanted(ann(), facts({ refused: [refusal] })), { act: false, refusal });
  t.deepEqual(
    wanted(ann('0.2.0', { sha256: 'b'.repeat(64) }), facts({ refused: [refusal] })),
    { act: true },
    'another bundle of that version is tried',
  );
  t.like(wanted(ann(), facts({ running: null })), { act: false }, 'outside the release layout nothing is installed');
  t.is(archOfUrl('https://h/x/klubkort-1.0.0-linux-x64.tar.gz?sig=1'), 'x64');
  t.is(archOfUrl('not a url'), null);
});

test('announced → downloading → verifying → verified; installed only at a tick of an idle till, and reported at each stage', (t) => {
  const a = ann();
  const { state, steps } = run([
    { type: 'announced', a },
    { type: 'downloaded' },
    { type: 'verified' },
    { type: 'tick', tillIdle: false, rootFailed: null },
    { type: 'tick', tillIdle: false, rootFailed: null },
    { type: 'tick', tillIdle: true, rootFailed: null },
  ]);
  t.deepEqual(types(steps[0]!.effects), ['keepOnly', 'report', 'log', 'download']);
  t.like(steps[0]!.state, { s: 'downloading', attempt: 1 });
  t.deepEqual(types(steps[1]!.effects), ['verify']);
  t.like(steps[2]!.state, { s: 'verified' });
  t.deepEqual(steps[3]!.effects, [], 'a busy till: nothing happens');
  t.is(steps[4]!.state, steps[3]!.state);
  t.deepEqual(types(steps[5]!.effects), ['handOver', 'report', 'log']);
  t.like(state, { s: 'staged', a });
  t.deepEqual(
    steps.flatMap((s) => reported(s.effects)).map((r) => r?.state),
    ['downloading', 'verified', 'staged'],
  );
});

test('a broken download is tried again after a growing wait (reported with the reason); bytes that are not the announced ones are refused and remembered', (t) => {
  const a = ann();
  const { steps, state } = run([
    { type: 'announced', a },
    { type: 'downloadFailed', error: 'the connection ended after 5 of 11 bytes', permanent: false },
    { type: 'retry' },
    { type: 'downloadFailed', error: 'again', permanent: false },
  ]);
  t.like(steps[1]!.state, { s: 'retry_wait', attempt: 1 });
  t.like(
    steps[1]!.effects.find((e) => e.type === 'retryAfter'),
    { ms: 2000 },
  );
  t.regex(reported(steps[1]!.effects)[0]!.error!, /connection ended.*trying again in 2 s/);
  t.like(steps[2]!.state, { s: 'downloading', attempt: 2 });
  t.deepEqual(types(steps[2]!.effects), ['download']);
  t.like(
    steps[3]!.effects.find((e) => e.type === 'retryAfter'),
    { ms: 4000 },
  );
  t.like(state, { s: 'retry_wait', attempt: 2 });
  t.is(retryDelay(30), 5 * 60_000, 'at most five minutes');

  const bad = run([
    { type: 'announced', a },
    { type: 'downloadFailed', error: 'not the announced SHA-256', permanent: true },
  ]);
  t.like(bad.state, { s: 'failed', error: 'not the announced SHA-256' });
  t.deepEqual(types(bad.steps[1]!.effects), ['rememberRefusal', 'keepOnly', 'report', 'log']);
  t.like(bad.steps[1]!.effects[1], { type: 'keepOnly', version: null }, 'the bytes are deleted');
});

test('a refused bundle fails, is remembered and deleted; the root side failing is the same; a new announcement replaces whatever was under way', (t) => {
  const a = ann();
  const refused = run([
    { type: 'announced', a },
    { type: 'downloaded' },
    { type: 'refused', error: 'refused (signature): no' },
  ]);
  t.like(refused.state, { s: 'failed', error: 'refused (signature): no' });
  t.like(refused.steps[2]!.effects[0], { type: 'rememberRefusal', refusal: { version: '0.2.0', sha256: a.sha256 } });
  t.like(reported(refused.steps[2]!.effects)[0], {
    version: '0.2.0',
    state: 'failed',
    error: 'refused (signature): no',
  });

  const root = run([
    { type: 'announced', a },
    { type: 'downloaded' },
    { type: 'verified' },
    { type: 'tick', tillIdle: true, rootFailed: null },
    { type: 'announced', a: ann('0.3.0') },
    { type: 'tick', tillIdle: true, rootFailed: 'refused (journal): …' },
  ]);
  t.deepEqual(root.steps[4]!.effects, [], 'staged: the root side is at work, a new announcement waits for the restart');
  t.like(root.state, { s: 'failed', error: 'refused (journal): …' });

  const replaced = run([
    { type: 'announced', a },
    { type: 'announced', a: ann('0.3.0') },
  ]);
  t.deepEqual(types(replaced.steps[1]!.effects), ['abortDownload', 'keepOnly', 'report', 'log', 'download']);
  t.like(replaced.steps[1]!.effects[1], { type: 'keepOnly', version: '0.3.0' });
  const withdrawn = run([
    { type: 'announced', a },
    { type: 'downloadFailed', error: 'x', permanent: false },
    { type: 'announced', a: null },
  ]);
  t.deepEqual(types(withdrawn.steps[2]!.effects), ['cancelRetry', 'keepOnly', 'report', 'log']);
  t.like(withdrawn.state, { s: 'none' });
  t.is(reported(withdrawn.steps[2]!.effects)[0], null, 'the release layout tells the status again');

  const again = run([
    { type: 'announced', a },
    { type: 'announced', a: { ...a } },
  ]);
  t.deepEqual(again.steps[1]!.effects, [], 'the same announcement again (every reconnect brings it): nothing new');
  const late = run([
    { type: 'announced', a },
    { type: 'verified' },
    { type: 'retry' },
    { type: 'tick', tillIdle: true, rootFailed: null },
  ]);
  t.like(late.state, { s: 'downloading' }, 'outcomes of other states change nothing');
  const known = run(
    [{ type: 'announced', a }],
    facts({ refused: [{ version: a.version, sha256: a.sha256, error: 'refused before' }] }),
  );
  t.like(known.state, { s: 'failed', error: 'refused before' });
  t.false(types(known.steps[0]!.effects).includes('download'), 'not fetched again');
});

test('a hand-over that could not be written (a full disk) waits for the next idle moment', (t) => {
  const { state, steps } = run([
    { type: 'announced', a: ann() },
    { type: 'downloaded' },
    { type: 'verified' },
    { type: 'tick', tillIdle: true, rootFailed: null },
    { type: 'handOverFailed', error: 'ENOSPC' },
    { type: 'tick', tillIdle: true, rootFailed: null },
  ]);
  t.like(steps[4]!.state, { s: 'verified' });
  t.deepEqual(types(steps[5]!.effects), ['handOver', 'report', 'log']);
  t.like(state, { s: 'staged' });
});
