// Contract § Terminal status: `terminals/{terminalId}/status`, retained; the will says offline.
import { z } from 'zod';
import { IsoTime } from './conventions.ts';

/** The contract version this terminal keeps; its `online` status says so. */
export const CONTRACT_VERSION = '1.1';

/**
 * Beyond the contract's fields (unknown fields are ignored by every reader): `starts`, how many
 * times this terminal's journal has started (a journal restored from a backup is older than the
 * retained status says), and `restored` while the running journal was found to be such a one.
 */
const JournalMark = { starts: z.number().int().positive().optional(), restored: z.literal(true).optional() };

export const StatusMsg = z.union([
  z.object({
    state: z.literal('online'), version: z.string(), since: IsoTime, queue: z.number().int().nonnegative(),
    contract: z.string().optional(), ...JournalMark,
  }),
  z.object({ state: z.literal('offline'), ...JournalMark }),
]);
export type StatusMsg = z.infer<typeof StatusMsg>;
