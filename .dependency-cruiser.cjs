// The layers, bottom to top: lib (generic helpers) → contract → hal → firmware → sim → bin (test, bench, scripts and explore may
// import any of them). An import may only point down or stay in its own layer; no module cycles.
// test/unit/architecture.test.ts runs this rule set and adds the check for cycles between folders.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lib-imports-nothing',
      comment:
        'lib/ holds generic helpers (no klubkort knowledge): it is the bottom and imports nothing of the project.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(contract|hal|firmware|sim|bin|test|bench|scripts|explore)/' },
    },
    {
      name: 'contract-imports-nothing',
      comment: 'contract/ mirrors ../shared/protocol.md: it imports nothing of the project but lib/.',
      severity: 'error',
      from: { path: '^contract/' },
      to: { path: '^(hal|firmware|sim|bin|test|bench|scripts|explore)/' },
    },
    {
      name: 'hal-only-contract',
      comment: 'hal/ (device drivers) imports only contract/ and itself.',
      severity: 'error',
      from: { path: '^hal/' },
      to: { path: '^(firmware|sim|bin|test|bench|scripts|explore)/' },
    },
    {
      name: 'firmware-not-sim',
      comment: 'firmware/ (the daemon) never imports sim/ or the entry points above it.',
      severity: 'error',
      from: { path: '^firmware/' },
      to: { path: '^(sim|bin|test|bench|scripts|explore)/' },
    },
    {
      name: 'sim-not-above',
      comment: 'sim/ builds on firmware, hal and contract, never on the entry points or tests.',
      severity: 'error',
      from: { path: '^sim/' },
      to: { path: '^(bin|test|bench|scripts|explore)/' },
    },
    {
      name: 'no-circular',
      comment: 'No module cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every relative import resolves (a typo would hide an edge from these rules).',
      severity: 'error',
      from: { path: '^(lib|contract|hal|firmware|sim|bin)/' },
      to: { couldNotResolve: true, path: '^[.]' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'] },
  },
};
