// Runs histories: each a fresh world, the commands fast-check generated from the seed, the
// invariants after every step, then every fault healed and the end checks. A failure is shrunk by
// fast-check (fewer, simpler steps that still break an invariant) within a time budget, and
// reported with the seed and path that replay it.
import fc from 'fast-check';
import { DEMO_CARD_URL, DEMO_CLUB_ID, DEMO_SUN_KEYS, demoChildren, demoClub } from '../sim/demo-club.ts';
import { DemoCards } from '../sim/demo-cards.ts';
import type { TerminalConfigMsg } from '../contract/index.ts';
import { commandArbs, InvariantError, settle, type Real } from './commands.ts';
import { checkEnd, decisions } from './invariants.ts';
import { initialModel, truthNow, type Model } from './model.ts';
import { World, WorldError } from './world.ts';

/** The config the ledger publishes when a history begins: a short offline age, so that it is reached within one. */
export const START_CONFIG: TerminalConfigMsg = {
  maxPurchase: 19999,
  offline: { perCardLimit: 10000, terminalLimit: 300000, maxAgeSeconds: 12 },
};

export interface ExploreOptions {
  seed: number;
  /** Most steps in one history. */
  steps: number;
  /** Histories to run at most. */
  runs: number;
  /** Stop starting histories after this long (shrinking a failure may take its own budget after). */
  minutes: number;
  /** How long shrinking a failure may take. */
  shrinkMinutes: number;
  /** fast-check's replay path of one history and the commands' own (printed with a failure). */
  path?: string;
  replayPath?: string;
  log: (line: string) => void;
}

export interface Totals {
  histories: number;
  setAside: number;
  steps: number;
  faults: Record<string, number>;
  checks: Record<string, number>;
  /** Decisions the cashier saw: sales approved online / offline, declined, voids approved (money density). */
  decided: Record<string, number>;
  /** Seconds spent in each kind of step. */
  stepSeconds: Record<string, number>;
}

export interface ExploreReport {
  ok: boolean;
  seed: number;
  totals: Totals;
  ms: number;
  /** On a failure: the shrunk history, the broken invariants, and how to replay it. */
  failure?: {
    broken: string;
    history: string;
    steps: number;
    replay: string;
    foundAfterMs: number;
    firstHistory: string;
  };
}

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
};

/**
 * `spawned`: before the world started the terminal. The model's first life must hold the first
 * process's screens, else its online spans are cut to nothing and every invariant judged on
 * "the terminal was online a while" holds vacuously until the first restart.
 */
async function startModel(w: World, spawned: number): Promise<Model> {
  await w.ledger!.setTerminalConfig('kasse-x', START_CONFIG);
  // Money on most cards, so that most sales get as far as a decision (the demo's poor and blocked cards stay as they are).
  for (const c of w.ledger!.cards(DEMO_CLUB_ID))
    if (c.status === 'active' && c.balance >= 4000) await w.ledger!.topUp(DEMO_CLUB_ID, c.cardUid, 20000);
  const start = new Map(w.ledger!.cards(DEMO_CLUB_ID).map((c) => [c.cardUid, c.balance]));
  await w.sim.waitFor(
    () => w.sim.screen?.screen === 'idle' && w.sim.screen.online && (w.sim.screen.view.catalog?.items.length ?? 0) > 0,
    'the terminal ready',
    60_000,
  );
  return initialModel(START_CONFIG, start, demoClub().catalog, spawned);
}

export async function explore(o: ExploreOptions): Promise<ExploreReport> {
  const t0 = Date.now();
  const totals: Totals = { histories: 0, setAside: 0, steps: 0, faults: {}, checks: {}, decided: {}, stepSeconds: {} };
  let failure: ExploreReport['failure'];
  let firstFailAt = 0;
  let firstHistory = '';
  let shrinking = false;
  const property = fc.asyncProperty(
    fc.commands(commandArbs(), { maxCommands: o.steps, size: 'max', replayPath: o.replayPath }),
    async (cmds) => {
      if (!shrinking && Date.now() - t0 > o.minutes * 60_000) return; // the budget is spent: the rest pass unrun
      // A replay is the history at its path alone: fast-check goes on to the values after it, which
      // are other histories (a kept seed's replay in CI ran seven at once beside the others).
      if (o.path !== undefined && totals.histories >= 1) return;
      // Shrinking's own budget spent: the candidates left pass unrun, the smallest failure so far stands.
      if (shrinking && Date.now() - t0 - firstFailAt > o.shrinkMinutes * 60_000) return;
      const n = ++totals.histories;
      const lines: string[] = [];
      o.log(`history ${n}${shrinking ? ' (shrinking)' : ''}:`);
      const hand = await DemoCards.issue(demoChildren(), DEMO_SUN_KEYS, DEMO_CARD_URL);
      const r: Real = {
        w: null as unknown as World,
        hand,
        log: (l) => {
          lines.push(l);
          o.log(`[${n}] ${l.trim()}`);
        },
      };
      const h0 = Date.now();
      const spawned = truthNow();
      const w = await World.create();
      r.w = w;
      let model: Model | null = null;
      try {
        model = await startModel(w, spawned);
        const m = model;
        m.stepMs['(world start)'] = Date.now() - h0;
        await fc.asyncModelRun(() => ({ model: m, real: r }), cmds);
        const e0 = Date.now();
        await settle(m, r);
        const broken = await checkEnd(w, m);
        m.stepMs['(end checks)'] = Date.now() - e0;
        if (broken.length) throw new InvariantError(broken);
      } catch (e) {
        if (e instanceof WorldError) {
          o.log(`history ${n} set aside: ${e.message}`);
          totals.setAside++;
          return;
        }
        o.log(`history ${n} FAILED: ${e instanceof InvariantError ? e.broken.join('; ') : String(e)}`);
        if (!shrinking) {
          shrinking = true;
          firstFailAt = Date.now() - t0;
          firstHistory = `${cmds}`;
        }
        throw e;
      } finally {
        totals.steps += lines.length;
        if (model) {
          add(totals.faults, model.faults);
          add(totals.checks, model.checks);
          add(totals.decided, {
            'sale refused at tap': model.refusedAtTap,
            'sale refused: nobody signed in': model.refusedNoCashier,
          });
          for (const [k, ms] of Object.entries(model.stepMs))
            totals.stepSeconds[k] = Math.round((totals.stepSeconds[k] ?? 0) + ms / 1000);
        }
        add(totals.decided, decisions(w));
        o.log(
          `history ${n}${shrinking ? ' (shrinking)' : ''} ended: ${lines.length} steps, ${Math.round((Date.now() - h0) / 1000)} s`,
        );
        await w.close();
      }
    },
  );
  const details = await fc.check(property, {
    seed: o.seed,
    numRuns: o.runs,
    path: o.path,
    // A replay shows its failure; shrinking it again from the replayed history can outrun its replay path.
    endOnFailure: o.path !== undefined,
    // A last resort only: the budgets above end the runs; a history under way is never cut (its world would be left behind).
    interruptAfterTimeLimit: (o.minutes + o.shrinkMinutes + 15) * 60_000,
    markInterruptAsFailure: false,
  });
  if (details.failed && details.counterexample) {
    const [cmds] = details.counterexample as [Iterable<unknown>];
    const history = `${cmds as object}`;
    const broken =
      details.errorInstance instanceof InvariantError
        ? details.errorInstance.broken.join('\n')
        : String(details.errorInstance);
    failure = {
      broken,
      history,
      steps: history === '' ? 0 : history.split(',').filter((s) => /^[A-Z]/.test(s.trim())).length,
      replay: `npm run explore -- --seed ${details.seed} --path ${details.counterexamplePath} --replay-path '${/replayPath="([^"]*)"/.exec(history)?.[1] ?? ''}' --steps ${o.steps}`,
      foundAfterMs: firstFailAt,
      firstHistory,
    };
  }
  return { ok: !details.failed, seed: o.seed, totals, ms: Date.now() - t0, failure };
}
