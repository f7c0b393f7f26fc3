// The README is a newcomer's first page: its test command is CI's, its table of the demo club is
// the simulator's seed, and every file it links to exists.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { demoChildren, demoClub, demoStaff } from '../../sim/demo-club.ts';
import { UNKNOWN_CARD_UID } from '../../sim/demo-cards.ts';

const README = readFileSync('README.md', 'utf8');
/** Øre as the README writes kroner: 150 kr, 42,50 kr. */
const kr = (ore: number): string =>
  `${Math.trunc(ore / 100)}${ore % 100 ? `,${String(ore % 100).padStart(2, '0')}` : ''} kr`;

test("the README's test command is exactly the one .ci/run runs", (t) => {
  const ci = readFileSync('.ci/run', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('apt-get '));
  t.truthy(ci);
  t.true(
    README.split('\n').slice(0, 12).includes(`    ${ci}`),
    'README.md (first lines) and .ci/run must run the same test command',
  );
  t.true(README.split('\n').slice(0, 12).includes('    npm install && npm run sim'));
});

test("the README's demo-club table lists every card of the simulator's seed, with its holder and balance", (t) => {
  const rows = new Map(
    README.split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => [l.split('`')[1], l]),
  );
  for (const card of demoClub().cards) {
    const row = rows.get(card.cardUid);
    t.truthy(row, `no row for ${card.cardUid}`);
    t.true(row?.includes(`| ${card.name} |`), `${card.cardUid}: ${card.name}`);
    t.true(row?.includes(`| ${kr(card.balance)} |`), `${card.cardUid}: ${kr(card.balance)}`);
  }
  for (const s of demoStaff()) t.true(rows.get(s.cardUid)?.includes(`| ${s.name} |`), `${s.cardUid}: ${s.name}`);
  t.truthy(rows.get(UNKNOWN_CARD_UID));
  t.is(
    demoChildren().length + demoStaff().length + 1,
    [...rows.keys()].filter((k) => /^[0-9A-F]{8,20}$/.test(k ?? '')).length,
  );
});

test('every relative link of the README and docs/ points at a file that exists', (t) => {
  for (const file of [
    'README.md',
    'CONTRIBUTING.md',
    'CHANGELOG.md',
    'docs/contract.md',
    'docs/terminal.md',
    'docs/simulator.md',
    'docs/reliability.md',
    'docs/benchmarks.md',
  ]) {
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)\)/g)) {
      if (target === undefined || /^[a-z]+:/.test(target)) continue;
      t.true(existsSync(join(dirname(file), target)), `${file} links to ${target}, which does not exist`);
    }
  }
});
