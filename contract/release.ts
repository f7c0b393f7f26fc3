// Contract 1.2 (draft, additive) § Releases: the retained `terminals/{terminalId}/update`
// announcement the fleet's release tool publishes, and the `update` a terminal reports in its status.
import { z } from 'zod';
import { IsoTime, Sha256 } from './conventions.ts';

/** A release's version: semver without build metadata (it names a directory on the terminal). */
export const RELEASE_VERSION =
  /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$/;
export const ReleaseVersion = z.string().max(64).regex(RELEASE_VERSION, 'a version is x.y.z or x.y.z-tag');

/**
 * The announcement only points at a bundle: the terminal trusts the bundle's signed manifest (its
 * own release keys), never this message. An empty payload means no update is wanted.
 */
export const UpdateAnnouncement = z.object({
  version: ReleaseVersion,
  url: z
    .string()
    .max(2048)
    .url()
    .refine((u) => u.startsWith('https://'), 'an https URL'),
  sha256: Sha256,
  size: z
    .number()
    .int()
    .positive()
    .max(2 ** 32),
});
export type UpdateAnnouncement = z.infer<typeof UpdateAnnouncement>;

export const UPDATE_STATES = [
  'downloading',
  'verified',
  'staged',
  'running',
  'committed',
  'rolled_back',
  'failed',
] as const;

/** The last update a terminal worked on, in its retained status (null: none). */
export const UpdateReport = z.object({
  version: ReleaseVersion,
  state: z.enum(UPDATE_STATES),
  error: z.string().max(500).nullable(),
  at: IsoTime,
});
export type UpdateReport = z.infer<typeof UpdateReport>;
