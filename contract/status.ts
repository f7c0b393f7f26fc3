// Contract § Terminal status: `terminals/{terminalId}/status`, retained; the will says offline.
import { z } from 'zod';
import { ClubId, IsoTime } from './conventions.ts';
import { UpdateReport } from './release.ts';
import { READER_STATUSES } from './screen.ts';

/** The contract version this terminal keeps; its `online` status says so. */
export const CONTRACT_VERSION = '1.2';

/**
 * Beyond the contract's fields (unknown fields are ignored by every reader): `starts`, how many
 * times this terminal's journal has started (a journal restored from a backup is older than the
 * retained status says), and `restored` while the running journal was found to be such a one.
 */
const JournalMark = { starts: z.number().int().positive().optional(), restored: z.literal(true).optional() };

/**
 * Also beyond the 1.1 fields, for `klubkort fleet`: the terminal's club and firmware version (the
 * will says them too, so an offline terminal is still listed with them).
 */
const Identity = { club: ClubId.optional() };

/**
 * For the fleet's view (online status only): the card reader's state, when the oldest sale or void
 * still unanswered was made (the terminal's clock; null: none), and (contract 1.2 draft) the last
 * update the terminal worked on.
 */
const FleetView = {
  reader: z.enum(READER_STATUSES).optional(),
  queueOldest: IsoTime.nullable().optional(),
  update: UpdateReport.nullable().optional(),
};

export const StatusMsg = z.union([
  z.object({
    state: z.literal('online'),
    version: z.string(),
    since: IsoTime,
    queue: z.number().int().nonnegative(),
    contract: z.string().optional(),
    ...JournalMark,
    ...Identity,
    ...FleetView,
  }),
  z.object({ state: z.literal('offline'), version: z.string().optional(), ...JournalMark, ...Identity }),
]);
export type StatusMsg = z.infer<typeof StatusMsg>;
