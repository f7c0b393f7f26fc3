// Contract § Terminal status: `terminals/{terminalId}/status`, retained; the will says offline.
import { z } from 'zod';
import { IsoTime } from './conventions.ts';

/** The contract version this terminal keeps; its `online` status says so. */
export const CONTRACT_VERSION = '1.1';

export const StatusMsg = z.union([
  z.object({
    state: z.literal('online'), version: z.string(), since: IsoTime, queue: z.number().int().nonnegative(),
    contract: z.string().optional(),
  }),
  z.object({ state: z.literal('offline') }),
]);
export type StatusMsg = z.infer<typeof StatusMsg>;
