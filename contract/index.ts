// The ledger contract (docs/contract.md, version 1.1), section by section. The bottom layer:
// it imports nothing of the project; hal/, firmware/ and sim/ import it.
export * from './conventions.ts';
export * from './topics.ts';
export * from './ledger-records.ts';
export * from './transactions.ts';
export * from './results.ts';
export * from './status.ts';
export * from './release.ts';
export * from './terminal-rules.ts';
export * from './simulator.ts';
export * from './screen.ts';
