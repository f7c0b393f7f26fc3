// Admin commands of the simulator's ledger (a stand-in for the parents' portal). Deliberately outside
// the contract's `klubkort/v1/` prefix: no terminal ever sees or sends these.
import { z } from 'zod';
import { CardUid, ClubId, Ore } from '../../contract/index.ts';

export const ADMIN_TOPIC = 'klubkort-sim/ledger/admin';
export const ADMIN_REPLY_TOPIC = 'klubkort-sim/ledger/admin/reply';

export const AdminCommand = z.object({
  id: z.string().min(1).max(64),
  cmd: z.enum(['topup', 'block', 'unblock', 'close', 'list']),
  clubId: ClubId,
  uid: CardUid.optional(),
  amount: Ore.positive().optional(),
});
export type AdminCommand = z.infer<typeof AdminCommand>;

export const AdminReply = z.object({
  id: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
  data: z.unknown().optional(),
});
export type AdminReply = z.infer<typeof AdminReply>;
