// The update agent's runner: takes the retained announcement from the link, performs what
// agent-machine.ts decides (download, verify, hand over to the root side) and feeds the outcomes
// back. Each asynchronous effect belongs to the state that started it: an outcome arriving after
// a newer announcement replaced that state is dropped.
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { UpdateAnnouncement, UpdateReport } from '../../contract/release.ts';
import type { Clock } from '../clock.ts';
import type { TimerHandle, Timers } from '../../lib/timers.ts';
import type { Logger } from '../log.ts';
import { BundleRefused, verifyBundle } from '../release/bundle.ts';
import { JOURNAL_SCHEMA } from '../journal/migrations.ts';
import { journalSchemaOf } from '../journal/schema-of.ts';
import { step, type AgentEffect, type AgentEvent, type AgentFacts, type AgentState } from './agent-machine.ts';
import { downloadBundle, DownloadError } from './download.ts';
import type { Spool } from './spool.ts';

/** How often the agent looks whether the till is idle (a verified bundle waits for it) and for the root side's answer. */
export const TICK_MS = 2_000;

export interface UpdateAgentDeps {
  spool: Spool;
  /** The journal file (its schema decides which releases may install). */
  journalFile: string;
  facts: () => Omit<AgentFacts, 'refused'>;
  /** The release keys this terminal trusts (read when a bundle is verified). */
  trusted: () => ReadonlyMap<string, KeyObject>;
  /** The broker's CA (config broker.caFile): the bundle server is trusted through it. */
  ca?: Buffer;
  /** Empty basket, no confirm screen, no sale awaiting the ledger's answer. */
  tillIdle: () => boolean;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** The agent's report changed (the status is published again). */
  changed: () => void;
}

export class UpdateAgent {
  #state: AgentState = { s: 'none' };
  #report: UpdateReport | null = null;
  /** Bumped at every change of state: an effect's outcome counts only for the state that started it. */
  #gen = 0;
  #abort: AbortController | null = null;
  #retry: TimerHandle | null = null;
  #tick: TimerHandle | null = null;
  #stopped = false;

  constructor(private readonly d: UpdateAgentDeps) {}

  get state(): AgentState {
    return this.#state;
  }

  /** The last update this agent worked on, for the status; null: the release layout says it. */
  report(): UpdateReport | null {
    return this.#report;
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      const s = this.#state;
      const root = s.s === 'staged' ? this.d.spool.result(s.a.version) : null;
      this.#dispatch({
        type: 'tick',
        tillIdle: this.d.tillIdle(),
        rootFailed: root?.state === 'failed' ? (root.error ?? 'the installation failed') : null,
      });
      this.#tick = this.d.timers.setTimeout(tick, TICK_MS);
    };
    this.#tick = this.d.timers.setTimeout(tick, TICK_MS);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#tick !== null) this.d.timers.clearTimeout(this.#tick);
    if (this.#retry !== null) this.d.timers.clearTimeout(this.#retry);
    this.#abort?.abort();
  }

  /** The retained `update` announcement (null: empty, nothing wanted). */
  announce(a: UpdateAnnouncement | null): void {
    this.#dispatch({ type: 'announced', a });
  }

  #dispatch(ev: AgentEvent): void {
    if (this.#stopped) return;
    const facts: AgentFacts = { ...this.d.facts(), refused: this.d.spool.refused() };
    const { state, effects } = step(this.#state, ev, facts);
    if (state !== this.#state) this.#gen++;
    this.#state = state;
    for (const e of effects) this.#run(e);
  }

  /** Dispatches `ev` if the state that started the effect is still the current one. */
  #later(gen: number): (ev: AgentEvent) => void {
    return (ev) => {
      if (gen === this.#gen) this.#dispatch(ev);
    };
  }

  #run(e: AgentEffect): void {
    const { log, spool } = this.d;
    const back = this.#later(this.#gen);
    switch (e.type) {
      case 'log':
        return void log[e.level](e.msg);
      case 'report':
        this.#report = e.report && {
          ...e.report,
          error: e.report.error?.slice(0, 500) ?? null,
          at: this.d.clock.now().toISOString(),
        };
        return this.d.changed();
      case 'keepOnly':
        return spool.keepOnly(e.version);
      case 'rememberRefusal':
        try {
          spool.remember(e.refusal);
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'cannot remember a refused update');
        }
        return;
      case 'retryAfter':
        this.#retry = this.d.timers.setTimeout(() => back({ type: 'retry' }), e.ms);
        return;
      case 'cancelRetry':
        if (this.#retry !== null) this.d.timers.clearTimeout(this.#retry);
        this.#retry = null;
        return;
      case 'abortDownload':
        this.#abort?.abort();
        this.#abort = null;
        return;
      case 'download': {
        const abort = new AbortController();
        this.#abort = abort;
        void this.#download(e.a, abort.signal).then(back);
        return;
      }
      case 'verify':
        void this.#verify(e.a).then(back);
        return;
      case 'handOver':
        try {
          spool.handOver(e.a.version);
        } catch (err) {
          queueMicrotask(() => back({ type: 'handOverFailed', error: (err as Error).message }));
        }
    }
  }

  async #download(a: UpdateAnnouncement, signal: AbortSignal): Promise<AgentEvent> {
    try {
      this.d.spool.ensure();
      const r = await downloadBundle({
        url: a.url,
        size: a.size,
        sha256: a.sha256,
        file: this.d.spool.bundle(a.version),
        ca: this.d.ca,
        signal,
      });
      this.d.log.info(
        { version: a.version, resumedAt: r.from, fetched: r.fetched },
        r.from > 0 && r.fetched > 0 ? 'bundle download resumed and complete' : 'bundle downloaded',
      );
      return { type: 'downloaded' };
    } catch (e) {
      return {
        type: 'downloadFailed',
        error: (e as Error).message,
        permanent: e instanceof DownloadError && e.permanent,
      };
    }
  }

  /** The signed manifest decides: a trusted key, this terminal's arch, Node and journal, every file's hash. */
  async #verify(a: UpdateAnnouncement): Promise<AgentEvent> {
    try {
      const journal = await journalSchemaOf(this.d.journalFile);
      const v = await verifyBundle(this.d.spool.bundle(a.version), this.d.trusted(), {
        arch: process.arch,
        node: process.versions.node,
        journal,
        runningWrites: JOURNAL_SCHEMA,
      });
      if (v.manifest.version !== a.version)
        return { type: 'refused', error: `the bundle is release ${v.manifest.version}, announced as ${a.version}` };
      return { type: 'verified' };
    } catch (e) {
      const error =
        e instanceof BundleRefused ? `refused (${e.reason}): ${e.message}` : `cannot verify: ${(e as Error).message}`;
      return { type: 'refused', error: error.slice(0, 480) };
    }
  }
}

/** The journal's path in a data dir. */
export const journalFileOf = (dataDir: string): string => join(dataDir, 'journal.db');
