// Admin commands of the simulator's ledger (a stand-in for the parents' portal). Deliberately outside
// the contract's `klubkort/v1/` prefix: no terminal ever sees or sends these.
import { z } from 'zod';
import { CardRules, CardUid, ClubId, NonNegOre, Ore, StaffRecord, TerminalId } from '../../contract/index.ts';

export const ADMIN_TOPIC = 'klubkort-sim/ledger/admin';
export const ADMIN_REPLY_TOPIC = 'klubkort-sim/ledger/admin/reply';

export const AdminCommand = z.object({
  id: z.string().min(1).max(64),
  cmd: z.enum([
    'topup',
    'block',
    'unblock',
    'close',
    'list',
    'rules',
    'staff-add',
    'staff-remove',
    'staff-list',
    'auth',
    'terminal-add',
    'terminal-list',
  ]),
  clubId: ClubId,
  uid: CardUid.optional(),
  amount: Ore.positive().optional(),
  /** 1.1 `rules`: what changes; an absent field stays. */
  rules: z
    .object({
      dailyLimit: NonNegOre.nullable().optional(),
      block: z.array(z.string().min(1).max(64)).optional(),
      unblock: z.array(z.string().min(1).max(64)).optional(),
      note: CardRules.shape.note,
    })
    .optional(),
  /** 1.1 `auth`: the card's kind (`sun` once its NTAG 424 DNA is personalised). */
  auth: z.enum(['uid', 'sun']).optional(),
  /** `terminal-add`: the terminal registered with the club (contract § Access). */
  terminalId: TerminalId.optional(),
  /** 1.1 `staff-add`. */
  staff: StaffRecord.pick({ staffId: true, name: true, role: true }).optional(),
});
export type AdminCommand = z.infer<typeof AdminCommand>;

export const AdminReply = z.object({
  id: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
  data: z.unknown().optional(),
});
export type AdminReply = z.infer<typeof AdminReply>;
