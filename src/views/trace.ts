/**
 * A `trace` record: one observed call as a collapsible call tree, switchable to a flame graph.
 *
 * The tree opens along the hottest path (from the root, the costliest child each time); other
 * nodes build their children the first time they are opened, so deep or wide trees cost only
 * what is looked at. Builtin (C) calls and await time (suspended, not CPU) are styled apart;
 * calls under `-i` ms that the agent folded are shown as one line with their count and time.
 */
import { badge, el, formatDateTime, formatMs, str } from '../dom';
import { ICallNode, ITraceRecord } from '../types';
import { FlameGraphView, IFlameFrame } from './flamegraph';

function where(node: ICallNode): string {
  if (!node.file) {
    return '';
  }
  return node.line !== null && node.line !== undefined
    ? `${node.file}:${node.line}`
    : str(node.file);
}

function childrenOf(node: ICallNode): ICallNode[] {
  return Array.isArray(node.children) ? node.children : [];
}

/**
 * The hottest path: from the root, the costliest child each time.
 */
export function hottestPath(root: ICallNode): Set<ICallNode> {
  const path = new Set<ICallNode>();
  let node: ICallNode | undefined = root;
  while (node && !path.has(node)) {
    path.add(node);
    let best: ICallNode | undefined;
    for (const child of childrenOf(node)) {
      if (!best || (child.cost_ms ?? 0) > (best.cost_ms ?? 0)) {
        best = child;
      }
    }
    node = best;
  }
  return path;
}

/**
 * A call tree as flame graph frames (folded calls become one grey frame).
 */
export function callTreeToFrames(root: ICallNode): IFlameFrame {
  const convert = (node: ICallNode): IFlameFrame => {
    const children = childrenOf(node).map(convert);
    if (node.folded && node.folded.count) {
      children.push({
        name: `… ${node.folded.count} folded`,
        value: node.folded.cost_ms ?? 0,
        kind: 'folded',
        note: `${node.folded.count} ${node.folded.count === 1 ? 'call' : 'calls'} under the -i threshold, left out`
      });
    }
    return {
      name: str(node.function),
      value: node.cost_ms ?? 0,
      where: where(node),
      kind: node.await ? 'await' : node.builtin ? 'builtin' : 'python',
      note: node.await
        ? 'suspended in await (not CPU time)'
        : node.builtin
          ? 'builtin (C) call'
          : undefined,
      children
    };
  };
  return convert(root);
}

interface ITreeContext {
  total: number;
  hot: Set<ICallNode>;
}

function selfMs(node: ICallNode): number {
  let sum = node.folded?.cost_ms ?? 0;
  for (const child of childrenOf(node)) {
    sum += child.cost_ms ?? 0;
  }
  return Math.max(0, (node.cost_ms ?? 0) - sum);
}

function renderCall(
  node: ICallNode,
  context: ITreeContext,
  depth: number
): HTMLLIElement {
  const children = childrenOf(node);
  const hasChildren = children.length > 0 || !!node.folded?.count;
  const hot = context.hot.has(node);
  const classes = ['jp-flight-call'];
  if (node.builtin) {
    classes.push('jp-flight-call-builtin');
  }
  if (node.await) {
    classes.push('jp-flight-call-await');
  }
  if (hot) {
    classes.push('jp-flight-call-hot');
  }
  if (node.raised) {
    classes.push('jp-flight-call-raised');
  }
  const share =
    context.total > 0
      ? Math.min(100, (100 * (node.cost_ms ?? 0)) / context.total)
      : 0;
  const toggle = el('span', {
    className: 'jp-flight-value-toggle',
    text: hasChildren ? '▸' : ' '
  });
  const bar = el('span', { className: 'jp-flight-call-bar' }, [
    el('span', { className: 'jp-flight-call-bar-fill' })
  ]);
  (bar.firstChild as HTMLElement).style.width = `${share.toFixed(1)}%`;
  const row = el(
    'div',
    {
      className: 'jp-flight-call-row',
      title: `self ${formatMs(selfMs(node))} ms`
    },
    [
      toggle,
      el('span', {
        className: 'jp-flight-call-cost',
        text: `${formatMs(node.cost_ms)} ms`
      }),
      el('span', {
        className: 'jp-flight-call-share',
        text: `${share.toFixed(share >= 10 ? 0 : 1)}%`
      }),
      bar,
      el('span', {
        className: 'jp-flight-call-function',
        text: str(node.function)
      }),
      node.builtin ? badge('C', 'native', 'builtin (C) call') : null,
      node.await
        ? badge('await', 'await', 'suspended in await: not CPU time')
        : null,
      node.raised
        ? badge('raised', 'exception', 'this call ended by an exception')
        : null,
      where(node)
        ? el('span', { className: 'jp-flight-call-where', text: where(node) })
        : null
    ]
  );
  const item = el('li', { className: classes.join(' ') }, [row]);
  item.setAttribute('role', 'treeitem');
  if (!hasChildren) {
    return item;
  }
  let list: HTMLUListElement | null = null;
  const open = (value: boolean) => {
    if (value && !list) {
      list = el('ul', {
        className: 'jp-flight-call-children',
        attrs: { role: 'group' }
      });
      for (const child of children) {
        list.appendChild(renderCall(child, context, depth + 1));
      }
      if (node.folded && node.folded.count) {
        list.appendChild(
          el('li', { className: 'jp-flight-call jp-flight-call-folded' }, [
            el('div', { className: 'jp-flight-call-row' }, [
              el('span', { className: 'jp-flight-value-toggle', text: ' ' }),
              el('span', {
                className: 'jp-flight-call-cost',
                text: `${formatMs(node.folded.cost_ms)} ms`
              }),
              el('span', {
                className: 'jp-flight-muted',
                text: `… ${node.folded.count} ${node.folded.count === 1 ? 'call' : 'calls'} under the -i threshold, folded`
              })
            ])
          ])
        );
      }
      item.appendChild(list);
    }
    if (list) {
      list.hidden = !value;
    }
    toggle.textContent = value ? '▾' : '▸';
    item.setAttribute('aria-expanded', String(value));
  };
  row.classList.add('jp-flight-value-expandable');
  row.addEventListener('click', () => open(!list || list.hidden));
  // the root and the hottest path start open, as far as it goes
  open(depth === 0 || (hot && children.some(c => context.hot.has(c))));
  return item;
}

/**
 * Renders a call tree (the root and, open, its hottest path).
 */
export function renderCallTree(root: ICallNode): HTMLElement {
  const context: ITreeContext = {
    total: root.cost_ms ?? 0,
    hot: hottestPath(root)
  };
  const tree = el('ul', {
    className: 'jp-flight-call-tree',
    attrs: { role: 'tree' }
  });
  tree.appendChild(renderCall(root, context, 0));
  return tree;
}

/**
 * A `trace` record: a header, a Tree / Flame graph switch, and the view.
 */
export function renderTrace(r: ITraceRecord): HTMLElement {
  if (!r.root || typeof r.root !== 'object') {
    throw new Error('no call tree');
  }
  const treeButton = el('button', {
    className: 'jp-flight-switch jp-mod-active',
    text: 'Tree',
    attrs: { type: 'button', 'aria-pressed': 'true' }
  });
  const flameButton = el('button', {
    className: 'jp-flight-switch',
    text: 'Flame graph',
    attrs: { type: 'button', 'aria-pressed': 'false' }
  });
  const body = el('div', { className: 'jp-flight-trace-body' });
  const tree = renderCallTree(r.root);
  body.appendChild(tree);
  let flame: FlameGraphView | null = null;
  const show = (which: 'tree' | 'flame') => {
    treeButton.classList.toggle('jp-mod-active', which === 'tree');
    flameButton.classList.toggle('jp-mod-active', which === 'flame');
    treeButton.setAttribute('aria-pressed', String(which === 'tree'));
    flameButton.setAttribute('aria-pressed', String(which === 'flame'));
    tree.hidden = which !== 'tree';
    if (which === 'flame' && !flame) {
      flame = new FlameGraphView(callTreeToFrames(r.root), { unit: 'ms' });
      body.appendChild(flame.node);
      if (typeof ResizeObserver === 'undefined') {
        flame.draw();
      }
    }
    if (flame) {
      flame.node.hidden = which !== 'flame';
    }
  };
  treeButton.addEventListener('click', () => show('tree'));
  flameButton.addEventListener('click', () => show('flame'));
  const node = el('div', { className: 'jp-flight-trace' }, [
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', { className: 'jp-flight-title', text: 'trace' }),
      el('code', { text: str(r.method) }),
      el('span', {
        className: 'jp-flight-muted',
        text: `call ${str(r.index)} · ${formatMs(r.cost_ms)} ms · ${formatDateTime(r.time)} · thread ${str(r.thread_name)}`
      }),
      r.exception
        ? el('span', {
            className: 'jp-flight-error',
            text: `raised ${str(r.exception.type)}${r.exception.message ? ': ' + str(r.exception.message) : ''}`
          })
        : null,
      el('span', { className: 'jp-flight-switches' }, [treeButton, flameButton])
    ]),
    body
  ]);
  return node;
}
