/**
 * The views the benchmark times, bundled for a static page (webpack.config.js): the same
 * compiled modules (lib/) that the extension ships.
 */
import { renderRecord } from '../../lib/render';
import { FlameGraphView } from '../../lib/views/flamegraph';
import { FlameLayout } from '../../lib/views/flamecanvas';
import { ProfileView, topFunctions } from '../../lib/views/profile';
import { callTreeToFrames } from '../../lib/views/trace';

/**
 * A deterministic pseudo-random generator (mulberry32).
 */
function random(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A profile-like call tree of `n` nodes: stacks 20-60 deep, uneven fan-out, skewed costs.
 */
function callTree(n, seed = 42) {
  const rnd = random(seed);
  let made = 0;
  const node = (name, depth) => {
    made++;
    return {
      function: name,
      file: `/srv/pkg/module_${depth % 17}.py`,
      line: 1 + Math.floor(rnd() * 900),
      cost_ms: 0,
      children: [],
      builtin: rnd() < 0.1,
      await: rnd() < 0.02,
      folded: null
    };
  };
  const root = node('main', 0);
  // grow by descending random paths from the root, as sampled stacks would
  while (made < n) {
    let at = root;
    let depth = 0;
    const target = 20 + Math.floor(rnd() * 40);
    while (depth < target && made < n) {
      depth++;
      const kids = at.children;
      // reuse an existing child most of the time, so the tree is deep and shared near the root
      if (kids.length && rnd() < 0.85 - 0.4 / depth) {
        at = kids[Math.floor(Math.pow(rnd(), 2) * kids.length)];
      } else {
        const child = node(`fn_${made}_${depth}`, depth);
        kids.push(child);
        at = child;
      }
    }
  }
  const total = t => {
    let sum = 0.05 + rnd() * rnd() * 5;
    for (const c of t.children) {
      sum += total(c);
    }
    t.cost_ms = sum;
    return sum;
  };
  total(root);
  return root;
}

/**
 * A `stack` record of `threads` threads, `frames` frames each.
 */
function stackRecord(threads, frames, seed = 7) {
  const rnd = random(seed);
  return {
    v: 1,
    kind: 'stack',
    pid: 4242,
    source: 'agent',
    threads: Array.from({ length: threads }, (_, t) => ({
      thread_id: 140000000000000 + t,
      native_id: 5000 + t,
      name: t === 0 ? 'MainThread' : `worker-${t}`,
      daemon: t > 0,
      main: t === 0,
      gil: null,
      frames: Array.from({ length: frames }, (_, f) => ({
        function: `Class${f % 9}.method_${Math.floor(rnd() * 100)}`,
        file: `/srv/app/module_${f % 23}.py`,
        line: 1 + Math.floor(rnd() * 500),
        module: `app.module_${f % 23}`
      }))
    }))
  };
}

/**
 * The same call tree as a `profile` record (perf): each node's cost as its samples, one thread,
 * and the top functions the record carries.
 */
function profileRecord(tree) {
  const convert = t => {
    const node = {
      function: t.function,
      file: t.file,
      line: t.line,
      total: t.cost_ms,
      self: 0,
      children: []
    };
    const work = [[t, node]];
    while (work.length) {
      const [src, dst] = work.pop();
      let under = 0;
      for (const c of src.children) {
        const child = {
          function: c.function,
          file: c.file,
          line: c.line,
          total: c.cost_ms,
          self: 0,
          children: []
        };
        under += c.cost_ms;
        dst.children.push(child);
        work.push([c, child]);
      }
      dst.self = Math.max(0, dst.total - under);
      dst.children.sort((a, b) => b.total - a.total);
    }
    return node;
  };
  const root = convert(tree);
  const all = { ...root, function: 'all', file: null, line: null };
  return {
    v: 1,
    kind: 'profile',
    pid: 4242,
    engine: 'py-spy',
    engine_version: '0.4.3',
    samples: Math.round(root.total),
    rate: 100,
    achieved_rate: 99.1,
    duration_s: 60,
    lost_s: 0,
    errors: 0,
    flags: { nonblocking: true },
    root: all,
    threads: [{ thread_id: 1, name: 'MainThread', samples: root.total, root: { ...root, function: 'MainThread', file: null, line: null } }],
    // perf's records carry their top functions (docs/schema.md): made here, before the timing
    top: topFunctions(all),
    pruned: { nodes: 0, samples: 0 },
    baseline: null,
    file: null
  };
}

window.flight = {
  renderRecord,
  FlameGraphView,
  ProfileView,
  FlameLayout,
  topFunctions,
  callTreeToFrames,
  callTree,
  profileRecord,
  stackRecord
};
