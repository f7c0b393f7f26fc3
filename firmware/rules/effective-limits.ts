// The limits a sale is held to: the local config, overridden by the ledger's `config` topic
// (contract § Terminal rules and defaults). Kept current from the journal and the ledger sync.
import type { TerminalConfigMsg } from '../../contract/index.ts';
import type { OfflineLimits } from './offline.ts';

/** `requireCashier`: from the ledger's config topic only; false without one. */
export interface Limits {
  maxPurchase: number;
  offline: OfflineLimits;
  replyTimeoutMs: number;
  requireCashier: boolean;
}

/** The local config's limits (its `sale` and `offline` sections). */
export interface LocalLimits {
  sale: { maxPurchase: number; replyTimeoutMs: number };
  offline: OfflineLimits;
}

/** Where the ledger's config comes from: the journal's copy at start, then the sync's changes. */
export interface LedgerConfigSource {
  stored(): Promise<TerminalConfigMsg | null>;
  onChange(fn: (c: TerminalConfigMsg | null) => void): () => void;
}

export class EffectiveLimits {
  #ledger: TerminalConfigMsg | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(
    private readonly local: LocalLimits,
    private readonly source: LedgerConfigSource,
    private readonly changed: () => void = () => undefined,
  ) {}

  /** Reads the ledger's config kept in the journal and follows its changes. */
  async start(): Promise<void> {
    this.#ledger = await this.source.stored();
    this.#unsubscribe = this.source.onChange((c) => {
      this.#ledger = c;
      this.changed();
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  current(): Limits {
    return {
      maxPurchase: this.#ledger?.maxPurchase ?? this.local.sale.maxPurchase,
      offline: this.#ledger?.offline ?? this.local.offline,
      replyTimeoutMs: this.local.sale.replyTimeoutMs,
      requireCashier: this.#ledger?.requireCashier ?? false,
    };
  }
}
