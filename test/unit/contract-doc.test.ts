// docs/contract.md's generated part (the JSON Schema of every payload) is what scripts/contract-doc.ts
// makes of contract/ now: a field added to a zod schema without rerunning the script fails here, so
// the repository's own description of the contract cannot drift from the code.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DOC_PATH,
  PARTS,
  PAYLOADS,
  contractSchemaNames,
  generatedPart,
  renderSchemas,
} from '../../scripts/contract-doc.ts';

const RERUN =
  'docs/contract.md is out of date with contract/: run `npm run contract-doc` and commit docs/contract.md ' +
  '(and say in its prose what the change means)';

test('the generated JSON Schemas in docs/contract.md match the zod schemas of contract/', (t) => {
  const part = generatedPart(readFileSync(DOC_PATH, 'utf8'));
  t.not(part, null, 'docs/contract.md lacks its BEGIN/END GENERATED markers');
  t.is(part, renderSchemas(), RERUN);
});

test('every zod schema contract/ exports is either a documented payload or a part of one', (t) => {
  const known = new Set([...PAYLOADS.map((p) => p.name), ...PARTS]);
  const unlisted = contractSchemaNames().filter((n) => !known.has(n));
  t.deepEqual(
    unlisted,
    [],
    'add the new schema to PAYLOADS (a payload of its own) or PARTS in scripts/contract-doc.ts, ' +
      'then run `npm run contract-doc`',
  );
  // A listed name that no longer exists in contract/ would document nothing.
  t.deepEqual(
    [...known].filter((n) => !contractSchemaNames().includes(n)),
    [],
  );
});

test('the drift check sees a field added to a payload', (t) => {
  const withTip = PAYLOADS.map((p) =>
    p.name === 'SaleMsg' && p.schema instanceof z.ZodObject
      ? { ...p, schema: p.schema.extend({ tip: z.number().int() }) }
      : p,
  );
  t.not(renderSchemas(withTip), renderSchemas());
  t.regex(renderSchemas(withTip), /"tip"/);
});
