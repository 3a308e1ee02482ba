const jestJupyterLab = require('@jupyterlab/testutils/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyterlab/',
  'd3-flame-graph',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  moduleNameMapper: {
    ...baseConfig.moduleNameMapper,
    // d3 v3 packages resolve to their .mjs under jest; their UMD builds need no transform
    '^d3-selection$': '<rootDir>/node_modules/d3-selection/dist/d3-selection.js'
  },
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    '!src/**/.ipynb_checkpoints/*',
    '!src/**/__tests__/**'
  ],
  coverageReporters: ['lcov', 'text'],
  reporters: ['default'],
  modulePathIgnorePatterns: [
    '<rootDir>/.venv',
    '<rootDir>/server_ext',
    '<rootDir>/ui-tests'
  ],
  testRegex: 'src/.*/.*.spec.ts[x]?$',
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
