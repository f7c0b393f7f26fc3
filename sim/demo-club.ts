// The simulator's demo club: a youth club café and seven children covering the cases a cashier meets
// (plenty of money, a little, almost none, none, a blocked card, a card without a photo; a
// daily limit, a blocked category with a parent's note), and two staff cards (a cashier, a lead).
import type { Catalog } from '../contract/index.ts';
import type { CardSeed, ClubSeed, StaffSeed } from './reference-ledger/types.ts';
import { portraitJpeg } from './photos.ts';

export const DEMO_CLUB_ID = 'demo-klub';

// More than 9 items, so the terminal's catalog pages are used; all below the 200 kr item ceiling.
const CATALOG: Catalog = {
  version: 1,
  items: [
    { sku: 'juice', name: 'Juice', price: 800, category: 'drikke' },
    { sku: 'kakao', name: 'Kakao', price: 1000, category: 'drikke' },
    { sku: 'vand', name: 'Vand', price: 600, category: 'drikke' },
    { sku: 'toast', name: 'Toast', price: 1500, category: 'mad' },
    { sku: 'sandwich', name: 'Sandwich', price: 2500, category: 'mad' },
    { sku: 'frugt', name: 'Frugt', price: 500, category: 'mad' },
    { sku: 'kage', name: 'Kage', price: 1200, category: 'mad' },
    { sku: 'is', name: 'Is', price: 1000, category: 'slik' },
    { sku: 'popcorn', name: 'Popcorn', price: 700, category: 'slik' },
    { sku: 'slikpose', name: 'Slikpose', price: 2000, category: 'slik' },
    { sku: 'vaerkstedssaet', name: 'Værkstedssæt', price: 15000, category: 'værksted' },
  ],
};

interface DemoChild extends Omit<CardSeed, 'photo'> {
  withPhoto: boolean;
  note: string;
}

const CHILDREN: DemoChild[] = [
  {
    cardUid: '04A23B5C7D2E80',
    holderId: 'demo-0001',
    name: 'Freja Nielsen',
    balance: 15000,
    withPhoto: true,
    note: '150 kr',
  },
  {
    cardUid: '8E3F2A10',
    holderId: 'demo-0002',
    name: 'Oliver Jensen',
    balance: 4250,
    withPhoto: true,
    note: '42,50 kr',
  },
  { cardUid: '04C7D8E9F0A181', holderId: 'demo-0003', name: 'Ida Hansen', balance: 500, withPhoto: true, note: '5 kr' },
  {
    cardUid: 'B72C9D41',
    holderId: 'demo-0004',
    name: 'Noah Pedersen',
    balance: 0,
    withPhoto: false,
    note: '0 kr, intet foto',
  },
  {
    cardUid: '5A1E6F03',
    holderId: 'demo-0005',
    name: 'Alma Larsen',
    balance: 8000,
    status: 'blocked',
    withPhoto: true,
    note: 'spærret',
  },
  {
    cardUid: '04E1A2B3C4D5E6',
    holderId: 'demo-0006',
    name: 'Emil Madsen',
    balance: 20000,
    withPhoto: true,
    note: 'højst 30 kr om dagen',
    rules: { dailyLimit: 3000, blockedCategories: [], note: null },
  },
  {
    cardUid: '04F1A2B3C4D5E6',
    holderId: 'demo-0007',
    name: 'Sofie Poulsen',
    balance: 10000,
    withPhoto: true,
    note: 'ingen slik, note',
    rules: { dailyLimit: null, blockedCategories: ['slik'], note: 'Nøddeallergi — ingen nødder' },
  },
  // 1.1 genuine cards: NTAG 424 DNA with SUN (the simulator personalises their emulated chips).
  {
    cardUid: '04D15C00A1B201',
    holderId: 'demo-0008',
    name: 'Karla Sørensen',
    balance: 12000,
    withPhoto: true,
    note: 'ægte kort (SUN)',
    auth: 'sun',
  },
  {
    cardUid: '04D15C00A1B202',
    holderId: 'demo-0009',
    name: 'William Berg',
    balance: 6000,
    withPhoto: true,
    note: 'ægte kort (SUN)',
    auth: 'sun',
  },
];

/**
 * The demo club's key material for `sun` cards: the ledger verifies with it and the simulator issues
 * its emulated cards with it. A demo value, public in this file: a real club's master key lives only
 * at the issuing desk and in the ledger's config, never on a terminal.
 */
export const DEMO_SUN_KEYS = {
  masterKey: Buffer.from('6b6c7562 6b6f7274 2d64656d 6f2d6b65'.replace(/ /g, ''), 'hex'),
  systemId: 'klubkort-demo',
};
/** Where a phone reading a demo card would land. */
export const DEMO_CARD_URL = 'https://klubkort.example/k';

const STAFF: StaffSeed[] = [
  { cardUid: '04AA0000000C01', staffId: 'mette', name: 'Mette Kristensen', role: 'cashier' },
  { cardUid: '04AA0000000D01', staffId: 'lars', name: 'Lars Holm', role: 'lead' },
];

/** The demo staff cards, for "tap the cashier's card" in the simulator and the tests. */
export function demoStaff(): StaffSeed[] {
  return STAFF.map((s) => ({ ...s }));
}

/** The demo children, for "tap this child's card" in the simulator and the tests. */
export function demoChildren(): { uid: string; name: string; note: string; auth: 'uid' | 'sun' }[] {
  return CHILDREN.map((c) => ({ uid: c.cardUid, name: c.name, note: c.note, auth: c.auth ?? 'uid' }));
}

/** `terminals`: the terminalIds registered with the demo club (contract § Access: the ledger declines any other's sales). */
export function demoClub(terminals: readonly string[] = []): ClubSeed {
  return {
    clubId: DEMO_CLUB_ID,
    terminals: [...terminals],
    catalog: structuredClone(CATALOG),
    cards: CHILDREN.map(({ withPhoto, note: _note, ...card }) => ({
      ...card,
      photo: withPhoto ? portraitJpeg(card.holderId) : null,
    })),
    staff: demoStaff(),
  };
}
