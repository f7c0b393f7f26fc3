// Never a frozen screen: how long the terminal's one event loop is blocked (perf_hooks'
// monitorEventLoopDelay, p50/p99/max) during each heavy job, and what the cashier feels of it: a key
// → its screen, pressed every KEY_EVERY_MS during the job and when idle. The jobs: the first sync of
// 10,000 cards + 1,000 photos, forwarding 10,000 queued sales, a photo arriving and prepared for the
// kiosk's screen (sixel), a roster erasing 1,000 cards, the retention purge of 20,000 sales and a
// WAL checkpoint. Beside them, tap → confirm with the photo drawn and Enter → approved offline.
//
// The terminal runs in a child process (`node --import tsx bench/loop.ts --child …`) while the
// brokers and the ledger stay here: `loop` runs it as it is, `pi` confined to a quarter of one core
// (cgroup cpu quota, bench/cpu-quota.ts), `sd` with fsync costing what an SD card's does
// (bench/slow-fsync.ts). The brokers and the ledger are the club's server, another machine: at
// nice 19 they run on what the terminal leaves of this one's cores (bench/cores.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Session } from 'node:inspector';
import mqtt from 'mqtt';
import type { ScreenModel } from '../contract/index.ts';
import { topics } from '../contract/index.ts';
import { demoChildren, demoClub, DEMO_CLUB_ID } from '../sim/demo-club.ts';
import { portraitJpeg, sha256Hex } from '../sim/photos.ts';
import { until } from '../test/helpers/until.ts';
import { demoModels } from '../test/fixtures/ui/models.ts';
import { benchUid, bigClub, publishClub, BIG_CLUB } from './club.ts';
import { CARDS, PHOTOS, clubRows, journalCounts } from './card-sync.ts';
import { QUEUED } from './forward.ts';
import { benchSale, fillJournal } from './journal-rate.ts';
import { spawnLedger } from './ledger-process.ts';
import { Journal } from '../firmware/journal/journal.ts';
import { kioskDisplay, type KioskDisplay } from './screen.ts';
import { storeOnceOpen } from '../firmware/journal/prepared-photos.ts';
import { median, msSince, now, percentile, type Figure } from './stats.ts';
import { BenchLog, startBenchBroker, startBenchTerminal, using, type BenchTerminal } from './world.ts';
import { cpuQuota, type Confinement } from './cpu-quota.ts';
import { background } from './cores.ts';
import { fsyncCounts, oneFsync, slowFsync } from './slow-fsync.ts';
import type { KeySpan } from './long-turns.ts';
import { addStalls, describeStalls, NO_STALLS, watchStalls, type Stalls } from './stalls.ts';
import { bareBulkInsert } from './floor.ts';
import { MAX_BATCH as SYNC_BATCH } from '../firmware/ledger/sync.ts';
import { serviceLaunch } from '../test/helpers/unit-file.ts';

const KEY_EVERY_MS = 20;
/** Answered sales in the journal for the retention purge: a busy club's 90 days. */
const HISTORY = 20_000;
const ERASED = 1_000;
const SALES = Number(process.env.BENCH_LOOP_SALES ?? 60);
const PHOTO_ROUNDS = 20;
/** Photos arriving at once and prepared ahead by the kiosk (job prefill). */
const PREFILL = 20;
const CHECKPOINT_ROUNDS = 5;
const ROSTER_ROUNDS = 3;
const IDLE_MS = 3000;
const T1 = 'bench-loop';
/**
 * First syncs, each by a terminal of its own in a process of its own (cold, as a terminal's first
 * sync is): one sync's ~50 keys give a p99 that is their worst. T1's is the last, in the process
 * that goes on to the other jobs.
 */
const SYNC_ROUNDS = 4;
const syncIds = [...Array.from({ length: SYNC_ROUNDS - 1 }, (_, i) => `${T1}-sync${i + 1}`), T1];
/** The offline limits of every terminal here: no sale of the bench is refused for them. */
const CFG = { offline: { perCardLimit: 100_000_000, terminalLimit: 100_000_000, maxAgeSeconds: 86400 } };
const T2 = 'bench-loop-fwd';
const CATALOG = { version: 1, items: [{ sku: 'juice', name: 'Juice', price: 500, category: 'drikke' }] };

interface Delay {
  p50: number;
  p99: number;
  max: number;
}
interface JobResult {
  job: string;
  label: string;
  seconds: number;
  rounds: number;
  loop: Delay;
  keys: number[];
  /** The terminal's thread's collections and waits for a CPU over the job's rounds. */
  stalls: Stalls;
  note?: string;
}
/** On the SD-card column: one fsync there, the commits while forwarding, the sync against a bare bulk insert. */
interface SdResult {
  fsyncMs: number;
  forwardCommits: number;
  forwardSyncs: number;
  syncSeconds: number;
  bareBulkSeconds: number;
}
interface ChildResult {
  jobs: JobResult[];
  tapPhoto: number[];
  enterOffline: number[];
  idle: JobResult;
  sd?: SdResult;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isBasket = (m: ScreenModel) => m.screen === 'basket';
const isIdle = (m: ScreenModel) => m.screen === 'idle';

/**
 * A cashier pressing a key every KEY_EVERY_MS: '1' (an item in the basket) then Backspace (idle
 * again). The key is due when its timer is due; a timer that fires late is a key waiting in the
 * device's buffer for the loop, so a sample is due time → the screen drawn.
 */
class Cashier {
  readonly samples: number[] = [];
  /** Each key's due and drawn time, µs of the monotonic clock (a CPU profile's clock). */
  readonly spans: KeySpan[] = [];
  #on = false;
  #done: Promise<void> = Promise.resolve();
  constructor(private readonly probe: BenchTerminal['probe']) {}

  start(): void {
    this.#on = true;
    this.#done = this.#run();
  }

  async stop(): Promise<void> {
    this.#on = false;
    await this.#done;
  }

  async #run(): Promise<void> {
    let add = true;
    while (this.#on) {
      const due = now() + BigInt(KEY_EVERY_MS * 1e6);
      await sleep(KEY_EVERY_MS);
      const drawn = this.probe.nextDraw(add ? isBasket : isIdle);
      this.probe.press(add ? '1' : 'backspace');
      const at = await Promise.race([drawn, sleep(10_000).then(() => null)]);
      if (at === null) {
        const m = this.probe.lastModel;
        throw new Error(
          `no screen 10 s after the key ${add ? '1' : 'backspace'}; the last: ${m?.screen} ${JSON.stringify(m?.message ?? null)} ${m?.view.catalog?.items.length} items`,
        );
      }
      // A timer may fire a fraction of a millisecond before its due time by this clock.
      this.samples.push(Math.max(0, msSince(due, at)));
      this.spans.push({ dueUs: Number(due / 1000n), drawnUs: Number(at / 1000n) });
      add = !add;
    }
    // Back to an empty basket: the next job's cashier (or sale) starts from idle.
    if (!add) {
      const back = this.probe.nextDraw(isIdle);
      this.probe.press('backspace');
      await back;
    }
  }
}

/** Runs `rounds` of `job` (after each `setup`, not measured) with the loop monitored and the cashier pressing keys. */
async function during(
  b: BenchTerminal,
  job: string,
  label: string,
  rounds: number,
  run: (round: number) => Promise<unknown>,
  setup?: (round: number) => Promise<unknown>,
): Promise<JobResult> {
  if (process.env.BENCH_LOOP_DEBUG) process.stderr.write(`loop: ${job}\n`);
  const delays: Delay[] = [];
  const keys: number[] = [];
  let stalls = NO_STALLS;
  let seconds = 0;
  const profile = await profileOf(job);
  const spans: KeySpan[] = [];
  for (let r = 0; r < rounds; r++) {
    await setup?.(r);
    // A monitor per round: one enabled again would count the setup between as one long delay.
    const h = monitorEventLoopDelay({ resolution: 1 });
    const cashier = new Cashier(b.probe);
    h.enable();
    const watched = watchStalls();
    cashier.start();
    const t0 = now();
    await run(r);
    seconds += msSince(t0) / 1000;
    await cashier.stop();
    stalls = addStalls(stalls, watched.stop());
    h.disable();
    delays.push({ p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 });
    keys.push(...cashier.samples);
    spans.push(...cashier.spans);
  }
  await profile?.stop(spans);
  if (process.env.BENCH_LOOP_DEBUG) process.stderr.write(`loop: ${job} done: ${describeStalls(stalls)}\n`);
  return { job, label, seconds, rounds, loop: overRounds(delays), keys, stalls };
}

/** Histograms of monitors cannot be added up: over rounds, the median p50 and the worst p99 and max. */
const overRounds = (ds: Delay[]): Delay => ({
  p50: median(ds.map((d) => d.p50)),
  p99: Math.max(...ds.map((d) => d.p99)),
  max: Math.max(...ds.map((d) => d.max)),
});

/** Rounds of one job run by `during` apart (a terminal each): keys and stalls added, the median time. */
function pooled(rs: JobResult[]): JobResult {
  const first = rs[0]!;
  return {
    ...first,
    rounds: rs.length,
    seconds: median(rs.map((r) => r.seconds)),
    keys: rs.flatMap((r) => r.keys),
    stalls: rs.slice(1).reduce((a, r) => addStalls(a, r.stalls), first.stalls),
    loop: overRounds(rs.map((r) => r.loop)),
  };
}

const preparedCount = async (j: Journal): Promise<number> =>
  (await j.db.read((q) => q.get<{ n: number }>('SELECT count(DISTINCT sha) AS n FROM photo_prepared')))?.n ?? 0;

/**
 * BENCH_LOOP_PROFILE=<file.cpuprofile>: a CPU profile of the terminal's thread over one job
 * (BENCH_LOOP_PROFILE_JOB, the sales when unset); null for every other job.
 */
const profileOf = (job: string) => {
  const file = process.env.BENCH_LOOP_PROFILE;
  return file && (process.env.BENCH_LOOP_PROFILE_JOB ?? 'sales') === job ? cpuProfile(file) : null;
};

/**
 * Starts the V8 profiler of this thread; `stop` writes the profile to `file` (Chrome's format) and
 * the keys' spans beside it (`file.keys.json`: bench/long-turns.ts --keys says what each slow key waited for).
 */
async function cpuProfile(file: string): Promise<{ stop(keys: KeySpan[]): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))),
    );
  await post('Profiler.enable');
  // A sample every 250 µs: a long turn of the loop shows as a run of samples (bench/long-turns.ts).
  await post('Profiler.setSamplingInterval', { interval: 250 });
  await post('Profiler.start');
  return {
    async stop(keys) {
      const r = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(file, JSON.stringify(r.profile));
      writeFileSync(`${file}.keys.json`, JSON.stringify(keys));
      session.disconnect();
    },
  };
}

/** Waits until `pred` of the journal holds, polling (the poll is a read on the thread pool, as a status request). */
const waitFor = (what: string, pred: () => Promise<boolean>) => until(pred, what, 600_000);

async function publishRetained(url: string, msgs: [string, string][]): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId: `bench-loop-pub-${process.pid}-${Math.random()}` });
  try {
    for (const [t, p] of msgs) await c.publishAsync(t, p, { qos: 1, retain: true });
  } finally {
    await c.endAsync();
  }
}

/**
 * How the child runs: bundled as the daemon is (scripts/bundle.ts), since the unit runs the bundle
 * and not TypeScript through tsx, whose loader keeps every module's source and source map on the
 * heap (a bigger heap: longer collections). BENCH_LOOP_TSX=1 runs the source through tsx instead
 * (a CPU profile then names the project's files).
 */
let bundled: Promise<string[]> | null = null;
function childEntry(): Promise<string[]> {
  const self = fileURLToPath(import.meta.url);
  if (process.env.BENCH_LOOP_TSX === '1') return Promise.resolve(['--import', 'tsx', self]);
  bundled ??= (async () => {
    // Imported here: the child's own bundle has no use for esbuild.
    const { bundle, PHOTO_WORKER } = await import('../scripts/bundle.ts');
    const outdir = fileURLToPath(new URL('../.bench-dist/', import.meta.url));
    await bundle({ 'loop-child': self, ...PHOTO_WORKER }, outdir);
    return [join(outdir, 'loop-child.js')];
  })();
  return bundled;
}

interface ChildOptions {
  syncUrl: string;
  forwardUrl: string;
  dir: string;
  logDir: string;
  out: string;
}

/** A first sync: a fresh terminal's cache, the club's records retained on the broker, timed from Terminal.start. */
async function firstSync(o: ChildOptions, log: BenchLog, id: string, mirror: KioskDisplay['display']) {
  const t0 = now();
  const t = await startBenchTerminal({ dir: o.dir, id, clubId: BIG_CLUB, linkUrl: o.syncUrl, log, cfg: CFG, mirror });
  const j = t.terminal.journal;
  const atStart = await journalCounts(j);
  const r = await during(t, 'sync', `first sync of ${CARDS} cards + ${PHOTOS} photos`, 1, () =>
    waitFor('the club cached', async () => {
      const n = await journalCounts(j);
      return n.cards === CARDS && n.photos === PHOTOS;
    }),
  );
  return { t, r: { ...r, seconds: msSince(t0) / 1000 }, atStart };
}

/** `--sync-only <id>`: one more first sync, by terminal `id` with a kiosk of its own, and nothing else. */
async function syncOnly(o: ChildOptions, id: string): Promise<void> {
  const log = new BenchLog(o.logDir);
  const r = await using(async (defer) => {
    defer(() => log.close());
    let journal: Journal | null = null;
    const kiosk = kioskDisplay(async (sha) => journal?.cards.photo(sha) ?? null, log.logger('kiosk'));
    const { t, r } = await firstSync(o, log, id, kiosk.display);
    defer(() => t.stop());
    journal = t.terminal.journal;
    return r;
  });
  writeFileSync(o.out, JSON.stringify(r));
}

/** In the child: the terminal and the jobs. */
async function child(o: ChildOptions): Promise<void> {
  const log = new BenchLog(o.logDir);
  const result = await using(async (defer): Promise<ChildResult> => {
    defer(() => log.close());
    let journal: BenchTerminal['terminal']['journal'] | null = null;
    // The kiosk prepares photos ahead into the journal, as the daemon's console does (it opens
    // below). Only the children's portraits: the sync's photos are 100×100 noise, the worst case of
    // a sixel (~250 ms each here): 1,000 of them would keep the kiosk's worker busy through every
    // job after the sync. The fill is timed on portraits (job "prefill").
    const prepared = storeOnceOpen();
    const portraitShas = new Set<string>();
    const kiosk: KioskDisplay = kioskDisplay(async (sha) => journal?.cards.photo(sha) ?? null, log.logger('kiosk'), {
      prepared: {
        ...prepared,
        unprepared: async (output, after, limit) =>
          (await prepared.unprepared(output, after, CARDS)).filter((s) => portraitShas.has(s)).slice(0, limit),
      },
    });
    const jobs: JobResult[] = [];

    const { t: b, r: sync, atStart } = await firstSync(o, log, T1, kiosk.display);
    defer(() => b.stop());
    journal = b.terminal.journal;
    const j = b.terminal.journal;
    prepared.open(j.prepared);
    jobs.push({
      ...sync,
      note: `from Terminal.start (${atStart.cards} cards, ${atStart.photos} photos cached when it returned; keys from then)`,
    });
    await j.db.checkpoint();
    await publishRetained(o.syncUrl, [[topics.ledgerStatus(), JSON.stringify({ state: 'offline' })]]);
    await until(() => b.terminal.offlineClock.ledgerOffline, 'the ledger offline');

    // Idle once the sync's garbage is collected (V8 does it when it sees the process idle).
    await sleep(IDLE_MS);
    const idle = await during(b, 'idle', 'idle', 1, () => sleep(IDLE_MS));

    // The children of the sales get portraits as parents upload them (240×320 JPEG) instead of the
    // sync's noise: the photo on the confirm screen is timed as a club's would be.
    const portraits = Array.from({ length: SALES + 5 }, (_, i) =>
      portraitJpeg(`bench-loop-sale-${i}`, { width: 240, height: 320 }),
    );
    for (const p of portraits) portraitShas.add(sha256Hex(p));
    await j.cards.putPhotos(portraits.map((p) => [sha256Hex(p), p] as const));
    await j.cards.putMany(
      await Promise.all(
        portraits.map(async (p, i) => {
          const c = (await j.cards.get(benchUid(i)))!;
          return { ...c, photo: sha256Hex(p), version: c.version + 1 };
        }),
      ),
    );

    // The portraits arrived before the sales, as a club's photos do: prepared ahead meanwhile.
    await kiosk.display.photosPrepared();
    const ahead = await preparedCount(j);
    if (ahead < portraits.length) throw new Error(`${ahead} of ${portraits.length} portraits prepared ahead`);

    // Photos arriving (a club's after a sync): the kiosk prepares them ahead in the background.
    const arriving = Array.from({ length: PREFILL }, (_, i) =>
      portraitJpeg(`bench-loop-ahead-${i}`, { width: 240, height: 320 }),
    );
    const fill = await during(
      b,
      'prefill',
      `${PREFILL} photos arriving, prepared ahead in the background (sixel, 240×320 JPEG)`,
      1,
      async () => {
        for (const p of arriving) portraitShas.add(sha256Hex(p));
        await j.cards.putPhotos(arriving.map((p) => [sha256Hex(p), p] as const));
        await kiosk.display.photosPrepared();
      },
    );
    jobs.push({ ...fill, note: `one at a time, resting as long as each took` });

    // Sales offline (the ledger's status says offline): tap → confirm with the photo written, Enter → approved.
    const profile = await profileOf('sales');
    const tapPhoto: number[] = [];
    const enterOffline: number[] = [];
    if (process.env.BENCH_LOOP_DEBUG) process.stderr.write('loop: sales\n');
    for (let i = 0; i < SALES + 5; i++) {
      const tapScreen = b.probe.nextDraw((m) => m.screen === 'tap');
      b.probe.press('1');
      b.probe.press('enter');
      await tapScreen;
      const confirm = b.probe.nextDraw((m) => m.screen === 'confirm' && !m.view.busy);
      const photo = kiosk.nextSixel();
      const tapAt = now();
      b.probe.tap(benchUid(i));
      await confirm;
      const photoAt = await photo;
      let status: string | undefined;
      const approved = b.probe.nextDraw((m) => {
        if (m.screen !== 'result') return false;
        status = m.result?.status;
        return true;
      });
      const enterAt = now();
      b.probe.press('enter');
      const approvedAt = await approved;
      if (status !== 'approved') throw new Error(`sale ${status}: see the terminal's log`);
      const back = b.probe.nextDraw(isIdle);
      b.probe.press('escape');
      await back;
      if (i >= 5) {
        tapPhoto.push(msSince(tapAt, photoAt));
        enterOffline.push(msSince(enterAt, approvedAt));
      }
    }

    await profile?.stop([]);

    // A photo arriving and prepared for the kiosk's screen: a new child's 240×320 JPEG each round,
    // shown before it could be prepared ahead (this display keeps none: the tap's own path).
    const photoScreen = kioskDisplay(async (sha) => photos.get(sha) ?? null, log.logger('kiosk-photo'));
    const photos = new Map(
      Array.from({ length: PHOTO_ROUNDS }, (_, i) => {
        const bytes = portraitJpeg(`bench-loop-${i}`, { width: 240, height: 320 });
        return [sha256Hex(bytes), bytes] as const;
      }),
    );
    const shas = [...photos.keys()];
    await photoScreen.display.start();
    defer(() => photoScreen.display.stop());
    const { confirm: confirmed, idle: idleModel } = demoModels('da');
    const confirmModel = (sha: string): ScreenModel => ({ ...confirmed!, card: { ...confirmed!.card!, photo: sha } });
    jobs.push(
      await during(
        b,
        'photo',
        'a photo arriving, prepared and written (sixel, 240×320 JPEG)',
        PHOTO_ROUNDS,
        async (r) => {
          const written = photoScreen.nextSixel();
          photoScreen.display.draw(confirmModel(shas[r]!));
          await written;
          photoScreen.display.draw(idleModel!);
        },
      ),
    );

    // A WAL checkpoint of the records a sync writes (2,000 cards changed, automatic checkpoints off meanwhile).
    let walBytes = 0;
    const walPath = join(o.dir, T1, 'journal.db-wal');
    jobs.push({
      ...(await during(
        b,
        'checkpoint',
        'a WAL checkpoint after 2,000 card records',
        CHECKPOINT_ROUNDS,
        () => j.db.checkpoint(),
        async (r) => {
          await j.db.exec('PRAGMA wal_autocheckpoint = 0');
          const recs = await Promise.all(
            Array.from({ length: 2000 }, async (_, i) => (await j.cards.get(benchUid(PHOTOS + i)))!),
          );
          await j.cards.putMany(recs.map((c) => ({ ...c, version: c.version + r + 1, balance: c.balance + 1 })));
          await j.db.exec('PRAGMA wal_autocheckpoint = 1000');
          walBytes = Math.max(walBytes, statSync(walPath).size);
        },
      )),
      note: `WAL of up to ${(walBytes / 2 ** 20).toFixed(1)} MB`,
    });

    // A roster without 1,000 of the cards (those with photos: their photos go too). Between the
    // rounds the cards come back with newer records, outside the measurement.
    const kept = Array.from({ length: CARDS - ERASED }, (_, i) => benchUid(ERASED + i));
    const club = bigClub(ERASED, ERASED);
    jobs.push(
      await during(
        b,
        'roster',
        `a roster erasing ${ERASED} cards (and their photos)`,
        ROSTER_ROUNDS,
        async (r) => {
          await publishRetained(o.syncUrl, [
            [
              topics.roster(BIG_CLUB),
              JSON.stringify({ version: r + 1, updatedAt: new Date().toISOString(), cards: kept, staff: [] }),
            ],
          ]);
          await waitFor('the roster applied', async () => (await j.cards.count()) === CARDS - ERASED);
        },
        async (r) => {
          if (r === 0) return;
          await sleep(5);
          const at = new Date().toISOString();
          await j.cards.putPhotos([...club.photos]);
          await j.cards.putMany(club.cards.map((c) => ({ ...c, version: 10 + r, updatedAt: at })));
          await sleep(5);
        },
      ),
    );

    // The retention purge: the 20,000 answered sales (the journal's history) deleted, and the checkpoint after it.
    let purged = 0;
    jobs.push({
      ...(await during(b, 'purge', `the retention purge of ${HISTORY} answered sales`, 1, async () => {
        purged = (await j.sales.purgeOlderThan(new Date(Date.now() + 86400_000).toISOString())).sales;
      })),
      note: '',
    });
    jobs[jobs.length - 1]!.note = `${purged} sales deleted, then a checkpoint`;
    await b.stop();

    // Forwarding: a second terminal of the demo club, its journal holding QUEUED offline sales.
    const f = await startBenchTerminal({ dir: o.dir, id: T2, clubId: DEMO_CLUB_ID, linkUrl: o.forwardUrl, log });
    defer(() => f.stop());
    const countsFile = process.env.KLUBKORT_FSYNC_COUNTS;
    const before = countsFile ? fsyncCounts(countsFile) : null;
    const ft0 = now();
    // The queue's last sale is shown again at start (never seen): the cashier dismisses it.
    if (f.probe.lastModel?.screen !== 'idle') {
      const back = f.probe.nextDraw(isIdle);
      f.probe.press('escape');
      await back;
    }
    const fwd = await during(f, 'forward', `forwarding ${QUEUED} queued sales`, 1, () =>
      waitFor('the queue answered', async () => (await f.terminal.journal.sales.queueLength()) === 0),
    );
    jobs.splice(1, 0, {
      ...fwd,
      seconds: msSince(ft0) / 1000,
      note: 'from Terminal.start to the queue empty; the ledger in its own process, outside any quota',
    });
    if (!countsFile || !before) return { jobs, tapPhoto, enterOffline, idle };
    const after = fsyncCounts(countsFile);
    await f.stop();
    // The floors on the same (slowed) file system, in this process, after the jobs.
    const rows = clubRows(bigClub(CARDS, PHOTOS));
    const sd: SdResult = {
      fsyncMs: oneFsync(o.dir),
      forwardCommits: after.wal - before.wal,
      forwardSyncs: after.all - before.all,
      syncSeconds: jobs[0]!.seconds,
      bareBulkSeconds: await bareBulkInsert(join(o.dir, 'bare-sync.db'), rows, SYNC_BATCH),
    };
    return { jobs, tapPhoto, enterOffline, idle, sd };
  });
  writeFileSync(o.out, JSON.stringify(result));
}

const n2 = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** SD-card storage: each fsync costs SD_FSYNC_US more (bench/slow-fsync.ts). */
const SD_FSYNC_US = 10_000;

function sdFigures(r: ChildResult): Figure[] {
  const sd = r.sd!;
  const enter = median(r.enterOffline);
  const syncRatio = sd.syncSeconds / sd.bareBulkSeconds;
  const forward = r.jobs.find((x) => x.job === 'forward')!;
  return [
    {
      id: 'sd.fsync',
      label: `SD-card storage: one fsync there (${SD_FSYNC_US / 1000} ms added to each)`,
      unit: 'ms',
      value: sd.fsyncMs,
      note: "median of 30 fsyncs of a small write, in the terminal's process (LD_PRELOAD shim, bench/slow-fsync.ts)",
    },
    {
      id: 'sd.enter_offline',
      label: 'SD-card storage: Enter → approved offline',
      unit: 'ms',
      value: enter,
      p99: percentile(r.enterOffline, 99),
      samples: r.enterOffline.length,
      target: 'p50 ≤ 1.2× one fsync',
      met: enter <= 1.2 * sd.fsyncMs,
      ratios: [{ to: 'of one fsync (p50)', ratio: enter / sd.fsyncMs }],
    },
    {
      id: 'sd.forward_commits',
      label: `SD-card storage: commits while forwarding ${QUEUED} sales`,
      unit: 'commits',
      value: sd.forwardCommits,
      target: `≤ ${QUEUED / 20} (sales / 20)`,
      met: sd.forwardCommits <= QUEUED / 20,
      ratios: [{ to: 'of the sales', ratio: sd.forwardCommits / QUEUED }],
      note: `syncs of the journal's WAL (one a commit), ${sd.forwardSyncs} fsyncs in all; forwarding took ${n2(forward.seconds)} s`,
    },
    {
      id: 'sd.card_sync',
      label: `SD-card storage: ${CARDS} cards + ${PHOTOS} photos synced`,
      unit: 's',
      value: sd.syncSeconds,
      target: '≤ 2× a bare bulk insert there',
      met: syncRatio <= 2,
      ratios: [{ to: 'of the bare bulk insert', ratio: syncRatio }],
      note: `bare bulk insert ${n2(sd.bareBulkSeconds)} s (transactions of ${SYNC_BATCH}); the sync from Terminal.start`,
    },
  ];
}

/**
 * The figures of one column (`prefix` '' or 'pi.'/'sd.'), judged by that column's targets;
 * `priority` says how the ledger and brokers were kept from the terminal's CPU.
 */
function figures(r: ChildResult, column: Column, priority: string): Figure[] {
  const idleP99 = percentile(r.idle.keys, 99);
  const out: Figure[] = [];
  const keyFigure = (x: JobResult): Figure => {
    const p99 = percentile(x.keys, 99);
    const base = {
      id: `${column.prefix}key.${x.job}`,
      label: `${column.label}key → screen during ${x.label}`,
      unit: 'ms' as const,
      value: median(x.keys),
      p99,
      max: Math.max(...x.keys),
      samples: x.keys.length,
    };
    if (x.job === 'idle')
      return {
        ...base,
        label: `${column.label}key → screen, idle`,
        note: `a key every ${KEY_EVERY_MS} ms: due → drawn; ${priority}; ${describeStalls(x.stalls)}`,
      };
    const ratio = p99 / idleP99;
    const judged = column.keyP99Ms
      ? { target: `p99 ≤ ${column.keyP99Ms} ms`, met: p99 <= column.keyP99Ms }
      : { target: 'p99 ≤ 3× idle', met: ratio <= 3 };
    return { ...base, ...judged, ratios: [{ to: 'of idle (p99)', ratio }], note: describeStalls(x.stalls) };
  };
  const loopFigure = (x: JobResult): Figure => {
    const l = x.loop;
    const judged = column.loopTargets && x.job !== 'idle';
    return {
      id: `${column.prefix}loop.${x.job}`,
      label: `${column.label}event-loop delay, ${x.label}`,
      unit: 'ms',
      value: l.p50,
      p99: l.p99,
      max: l.max,
      ...(judged ? { target: 'p99 ≤ 10 ms, max ≤ 30 ms', met: l.p99 <= 10 && l.max <= 30 } : {}),
      note: `max ${n2(l.max)} ms; ${x.rounds > 1 ? `${x.rounds} rounds (median p50, worst p99 and max), ` : ''}${n2(x.seconds)} s${x.note ? `; ${x.note}` : ''}`,
    };
  };
  for (const x of [r.idle, ...r.jobs]) out.push(loopFigure(x), keyFigure(x));
  const tap = percentile(r.tapPhoto, 99);
  const enter = percentile(r.enterOffline, 99);
  out.push(
    {
      id: `${column.prefix}tap_photo`,
      label: `${column.label}tap → confirm with the photo written (sixel)`,
      unit: 'ms',
      value: median(r.tapPhoto),
      p99: tap,
      max: Math.max(...r.tapPhoto),
      samples: r.tapPhoto.length,
      ...(column.keyP99Ms ? { target: 'p99 ≤ 250 ms', met: tap <= 250 } : {}),
      note: "the child's 240×320 JPEG as prepared ahead (one journal row read and written); without a row, decoded, scaled, palette fitted and sixel encoded at the tap",
    },
    {
      id: `${column.prefix}enter_offline`,
      label: `${column.label}Enter → approved offline`,
      unit: 'ms',
      value: median(r.enterOffline),
      p99: enter,
      max: Math.max(...r.enterOffline),
      samples: r.enterOffline.length,
      ...(column.keyP99Ms ? { target: 'p99 ≤ 100 ms', met: enter <= 100 } : {}),
    },
  );
  return out;
}

interface Column {
  prefix: string;
  label: string;
  /** Targets: on the fast machine the loop's and key ≤ 3× idle; confined, key p99 in ms. */
  loopTargets: boolean;
  keyP99Ms?: number;
  confine?: () => Confinement;
}

/** Brokers, ledger and journals here; the terminal in a child, confined as the column says. */
async function column(dir: string, log: BenchLog, c: Column): Promise<Figure[]> {
  return using(async (defer) => {
    const syncBroker = await startBenchBroker();
    defer(() => syncBroker.close());
    const fwdBroker = await startBenchBroker();
    defer(() => fwdBroker.close());
    await publishClub(syncBroker.url, bigClub(CARDS, PHOTOS));
    await publishRetained(syncBroker.url, [
      [topics.catalog(BIG_CLUB), JSON.stringify(CATALOG)],
      // No ledger on this broker: online while the club syncs (the cache is live, its age 0), then
      // offline, so that every sale is decided offline at once.
      [topics.ledgerStatus(), JSON.stringify({ state: 'online', since: new Date().toISOString() })],
    ]);
    const ledger = await spawnLedger({
      brokerUrl: fwdBroker.url,
      dbPath: join(dir, 'ledger.db'),
      logFile: join(log.dir, `ledger-${c.prefix || 'loop.'}log`),
      terminals: [T2],
    });
    defer(() => ledger.stop());
    // The brokers and the ledger stand for the club's server: they take the CPU the terminal leaves.
    const priority = background([syncBroker.pid, fwdBroker.pid, ledger.proc.pid]);
    const uids = demoChildren().map((x) => x.uid);
    await fillJournal(join(dir, T1), HISTORY, (i) => benchSale(benchUid(i % 200), T1, BIG_CLUB), true);
    // The catalog cached already (a cache wiped and synced again): the cashier's keys work from the first moment.
    for (const id of syncIds) {
      const j1 = await Journal.open(join(dir, id));
      await j1.cards.putCatalog(CATALOG).finally(() => j1.close());
    }
    const j2 = await Journal.open(join(dir, T2));
    // The queue's last sale was seen by the cashier long ago (not shown again at start).
    await j2.cards.putCatalog(demoClub().catalog).finally(() => j2.close());
    await fillJournal(join(dir, T2), QUEUED, (i) => benchSale(uids[i % uids.length]!, T2, DEMO_CLUB_ID), false);
    // As systemd starts the daemon: the unit's Node flags (a young generation of 1 MB changes how
    // often and how long V8 collects) and malloc settings; BENCH_LOOP_NODE_FLAGS adds more (--trace-gc).
    const launch = serviceLaunch();
    const conf = c.confine?.();
    if (conf) defer(async () => conf.close());
    /** Runs the terminal's process (`--child`, and `more`) to its end and reads what it wrote. */
    const runChild = async <T>(name: string, more: string[]): Promise<T> => {
      const out = join(dir, `${name}.json`);
      const args = [
        ...launch.nodeArgs,
        ...(process.env.BENCH_LOOP_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
        ...(await childEntry()),
        '--child',
        '--sync',
        syncBroker.url,
        '--forward',
        fwdBroker.url,
        '--dir',
        dir,
        '--logs',
        join(log.dir, `terminal-${c.prefix || 'loop.'}d`),
        '--out',
        out,
        ...more,
      ];
      const cmd = conf ? conf.wrap([process.execPath, ...args]) : [process.execPath, ...args];
      const proc = spawn(cmd[0]!, cmd.slice(1), {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, ...launch.env, ...conf?.env },
      });
      defer(async () => {
        if (proc.exitCode === null) proc.kill('SIGKILL');
      });
      const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
      if (code !== 0) throw new Error(`the terminal's process exited with ${code}`);
      return JSON.parse(readFileSync(out, 'utf8')) as T;
    };
    const syncs: JobResult[] = [];
    for (const id of syncIds.slice(0, -1)) syncs.push(await runChild<JobResult>(id, ['--sync-only', id]));
    const r = await runChild<ChildResult>('child', []);
    // T1's sync with the others: their keys pooled (figures' note says how many).
    r.jobs[0] = {
      ...pooled([...syncs, r.jobs[0]!]),
      note: `${SYNC_ROUNDS} terminals, a process each: ${r.jobs[0]!.note}`,
    };
    if (r.sd) return sdFigures(r);
    const figs = figures(r, c, priority);
    if (conf) figs.unshift(...conf.figures(r));
    return figs;
  });
}

export const loopBudget = (dir: string, log: BenchLog): Promise<Figure[]> =>
  column(dir, log, { prefix: '', label: '', loopTargets: true });

/** The Pi-class column: the terminal's process confined to a quarter of one core. */
export const piColumn = (dir: string, log: BenchLog): Promise<Figure[]> =>
  column(dir, log, {
    prefix: 'pi.',
    label: 'Pi-class (25% CPU): ',
    loopTargets: false,
    keyP99Ms: 100,
    confine: () => cpuQuota(0.25),
  });

/** The SD-card column: every fsync of the terminal's process SD_FSYNC_US slower. */
export const sdColumn = (dir: string, log: BenchLog): Promise<Figure[]> =>
  column(dir, log, {
    prefix: 'sd.',
    label: 'SD card: ',
    loopTargets: false,
    confine: () => {
      const shim = slowFsync(join(dir, 'shim'), SD_FSYNC_US);
      return { wrap: (cmd) => cmd, env: shim.env, figures: () => [], close: () => undefined };
    },
  });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: v } = parseArgs({
    options: {
      child: { type: 'boolean' },
      sync: { type: 'string' },
      forward: { type: 'string' },
      dir: { type: 'string' },
      logs: { type: 'string' },
      out: { type: 'string' },
      'sync-only': { type: 'string' },
    },
  });
  if (!v.child || !v.sync || !v.forward || !v.dir || !v.logs || !v.out)
    throw new Error('--child --sync --forward --dir --logs --out');
  mkdirSync(v.logs, { recursive: true });
  const o = { syncUrl: v.sync, forwardUrl: v.forward, dir: v.dir, logDir: v.logs, out: v.out };
  await (v['sync-only'] ? syncOnly(o, v['sync-only']) : child(o));
  process.exit(0);
}
