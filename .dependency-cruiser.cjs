/**
 * The layers of the code base and the one direction imports may go (docs/architecture.md draws
 * them): a module imports from its own layer or a lower one, never a higher one, and no import
 * cycle anywhere. `npm test` runs this (`npm run lint:deps`); any finding fails it.
 */
const CORE = [
  ['shared', 'errors\\.ts'],
  ['config'],
  ['graph', 'sql', 'engine', 'storage', 'state'],
  ['load', 'exec', 'quality'],
  ['steps', 'tracker', 'render'],
  ['checkpoint', 'check', 'distributed'],
  ['run\\.ts'],
  ['stream', 'schedule', 'interactive'],
  ['testing', 'cli', 'index\\.ts'],
];

const path = (names) => `^core/src/(${names.join('|')})(/|$)`;

const layerRules = CORE.slice(0, -1).map((names, i) => ({
  name: `core-layer-${i}-${names.join('-').replace(/\\\\\.ts/g, '')}`,
  comment: `${names.join(', ').replace(/\\\\/g, '')} may not import from a higher layer: ${CORE.slice(i + 1).flat().join(', ').replace(/\\\\/g, '')}`,
  severity: 'error',
  from: { path: path(names), pathNot: '\\.test\\.ts$' },
  to: { path: path(CORE.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'import cycles make layers meaningless and start-up order fragile',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'kernel-protocol-knows-no-pipelines',
      comment: "the kernel's protocol layer (Jupyter messages, sockets) knows nothing of pipelines, TypeScript or the sandbox",
      severity: 'error',
      from: { path: '^kernel/src/protocol/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(core/|kernel/src/(?!protocol/))|@odibi/core' },
    },
    {
      name: 'kernel-sandbox-stands-alone',
      comment: 'the sandbox launcher runs as root outside any kernel: it loads nothing of the kernel or the core',
      severity: 'error',
      from: { path: '^kernel/src/sandbox/', pathNot: '\\.test\\.ts$' },
      // Only the core's atomic-write helper, a module of its own with no dependencies.
      to: { path: '^(core/|kernel/src/(?!sandbox/))|@odibi/core', pathNot: 'core/(dist|src)/shared/atomic-write|@odibi/core/atomic-write' },
    },
    {
      name: 'site-runs-code-only-through-the-kernel',
      comment: 'the site reads lessons and notebooks as content and runs code only through the kernel gateway: never the core',
      severity: 'error',
      from: { path: '^site/(app|components|lib)/' },
      to: { path: '^core/|@odibi/core' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.next|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: false,
  },
};
