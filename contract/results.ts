// Contract § Ledger → terminal: `terminals/{terminalId}/results`, and the decline reasons (1.1 adds three).
import { z } from 'zod';
import { Ore, TxId, Version } from './conventions.ts';

export const DeclineReason = z.enum([
  'insufficient_funds',
  'blocked',
  'unknown_card',
  'limit',
  'reversed',
  'invalid',
  'daily_limit',
  'category_blocked',
  'card_auth',
]);
export type DeclineReason = z.infer<typeof DeclineReason>;

export const ResultMsg = z
  .object({
    txId: TxId,
    type: z.enum(['sale', 'void', 'reversal']),
    status: z.enum(['approved', 'declined']),
    reason: DeclineReason.optional(),
    balance: Ore.optional(),
    cardVersion: Version.optional(),
    offline: z.boolean().optional(),
  })
  .refine((r) => r.status === 'approved' || r.reason !== undefined, { message: 'a decline needs a reason' });
export type ResultMsg = z.infer<typeof ResultMsg>;
