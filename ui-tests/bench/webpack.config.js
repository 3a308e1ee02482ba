/**
 * Bundles harness.js (the compiled views of lib/) for the benchmark page.
 * From the repository root, after `jlpm build:lib`:
 *     node_modules/.bin/webpack --config ui-tests/bench/webpack.config.js
 */
const path = require('path');

const root = path.resolve(__dirname, '..', '..');

module.exports = {
  mode: 'production',
  entry: path.join(__dirname, 'harness.js'),
  output: {
    path: path.join(__dirname, 'dist'),
    filename: 'harness.js'
  },
  resolve: { modules: [path.join(root, 'node_modules')] },
  performance: { hints: false },
  devtool: false
};
