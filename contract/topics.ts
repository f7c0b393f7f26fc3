// Contract topic names (prefix klubkort/v1/, contract 1.1); the only place topic strings are built or parsed.
export const PREFIX = 'klubkort/v1/';

export const topics = {
  card: (club: string, uid: string) => `${PREFIX}clubs/${club}/cards/${uid}`,
  cards: (club: string) => `${PREFIX}clubs/${club}/cards/+`,
  photo: (club: string, sha: string) => `${PREFIX}clubs/${club}/photos/${sha}`,
  photos: (club: string) => `${PREFIX}clubs/${club}/photos/+`,
  catalog: (club: string) => `${PREFIX}clubs/${club}/catalog`,
  roster: (club: string) => `${PREFIX}clubs/${club}/roster`,
  staff: (club: string, uid: string) => `${PREFIX}clubs/${club}/staff/${uid}`,
  ledgerStatus: () => `${PREFIX}ledger/status`,
  clubAll: (club: string) => `${PREFIX}clubs/${club}/#`,
  config: (terminal: string) => `${PREFIX}terminals/${terminal}/config`,
  tx: (terminal: string) => `${PREFIX}terminals/${terminal}/tx`,
  results: (terminal: string) => `${PREFIX}terminals/${terminal}/results`,
  status: (terminal: string) => `${PREFIX}terminals/${terminal}/status`,
  /** 1.2 draft: the release tool's retained announcement. */
  update: (terminal: string) => `${PREFIX}terminals/${terminal}/update`,
  allStatuses: () => `${PREFIX}terminals/+/status`,
  simReader: (terminal: string) => `${PREFIX}sim/${terminal}/reader`,
  simKeys: (terminal: string) => `${PREFIX}sim/${terminal}/keys`,
  simScreen: (terminal: string) => `${PREFIX}sim/${terminal}/screen`,
  simIndicators: (terminal: string) => `${PREFIX}sim/${terminal}/indicators`,
};

export type ClubTopic =
  | { kind: 'card'; club: string; uid: string }
  | { kind: 'photo'; club: string; sha: string }
  | { kind: 'catalog'; club: string }
  | { kind: 'roster'; club: string }
  | { kind: 'staff'; club: string; uid: string };

/** Recognises a topic under `clubs/`; the raw id segments are returned unvalidated. */
export function parseClubTopic(topic: string): ClubTopic | null {
  if (!topic.startsWith(PREFIX + 'clubs/')) return null;
  const parts = topic.slice(PREFIX.length).split('/');
  if (parts.length === 4 && parts[2] === 'cards') return { kind: 'card', club: parts[1], uid: parts[3] };
  if (parts.length === 4 && parts[2] === 'photos') return { kind: 'photo', club: parts[1], sha: parts[3] };
  if (parts.length === 4 && parts[2] === 'staff') return { kind: 'staff', club: parts[1], uid: parts[3] };
  if (parts.length === 3 && parts[2] === 'catalog') return { kind: 'catalog', club: parts[1] };
  if (parts.length === 3 && parts[2] === 'roster') return { kind: 'roster', club: parts[1] };
  return null;
}

/** `terminals/{id}/{leaf}` → id, or null. */
export function parseTerminalTopic(topic: string, leaf: string): string | null {
  const m = topic.slice(PREFIX.length).match(/^terminals\/([^/]+)\/([^/]+)$/);
  return topic.startsWith(PREFIX) && m && m[2] === leaf ? m[1] : null;
}
