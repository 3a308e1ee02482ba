/**
 * An expandable, lazy tree of a value tree (docs/schema.md, "Value trees").
 *
 * Children of a container are built the first time it is opened, and long child lists are
 * shown in chunks, so a tree of 200,000 nodes costs only what is looked at.
 */
import { el, str } from '../dom';
import { IValueNode } from '../types';

/**
 * How many children are built at a time.
 */
export const CHUNK = 200;

/**
 * Options of the value tree.
 */
export interface IValueTreeOptions {
  /**
   * Containers up to this depth start open (the root is depth 0). Default 1.
   */
  openDepth?: number;
}

interface IChild {
  label: string | null;
  keyNode?: IValueNode;
  node: IValueNode;
}

function isContainer(node: IValueNode): boolean {
  return (
    Array.isArray(node.items) ||
    Array.isArray(node.entries) ||
    Array.isArray(node.attrs)
  );
}

function childrenOf(node: IValueNode): IChild[] {
  if (Array.isArray(node.items)) {
    let index = 0;
    return node.items.map(item => {
      if (item && item.omitted !== undefined) {
        index += item.omitted;
        return { label: null, node: item };
      }
      return { label: `[${index++}]`, node: item };
    });
  }
  if (Array.isArray(node.entries)) {
    return node.entries.map(entry =>
      entry && (entry as any).omitted !== undefined
        ? { label: null, node: entry as unknown as IValueNode }
        : { label: null, keyNode: entry.key, node: entry.value }
    );
  }
  if (Array.isArray(node.attrs)) {
    return node.attrs.map(attr =>
      attr && (attr as any).omitted !== undefined
        ? { label: null, node: attr as unknown as IValueNode }
        : { label: attr.name, node: attr.value }
    );
  }
  return [];
}

/**
 * The one-line summary of a node: its repr for a leaf, its type and length for a container.
 */
export function summary(node: IValueNode): string {
  if (!node) {
    return '';
  }
  if (node.omitted !== undefined) {
    return `… ${node.omitted} more not shown`;
  }
  if (isContainer(node)) {
    const count = node.len ?? childrenOf(node).length;
    if (Array.isArray(node.attrs)) {
      return `${str(node.type)} object`;
    }
    return `${str(node.type)} (${count} ${count === 1 ? 'item' : 'items'})`;
  }
  return str(node.repr);
}

function leafRow(node: IValueNode): HTMLElement[] {
  const parts: HTMLElement[] = [];
  parts.push(
    el('span', {
      className:
        'jp-flight-value-repr' + (node.error ? ' jp-flight-value-error' : ''),
      text: str(node.repr)
    })
  );
  if (node.cut !== undefined) {
    parts.push(
      el('span', {
        className: 'jp-flight-value-note',
        text: `cut (full repr: ${node.cut} characters)`
      })
    );
  }
  if (node.cycle) {
    parts.push(
      el('span', {
        className: 'jp-flight-value-note',
        text: 'already shown above (cycle)'
      })
    );
  }
  return parts;
}

function typeLabel(node: IValueNode): HTMLElement | null {
  if (!node.type) {
    return null;
  }
  const text =
    node.len !== undefined ? `${node.type}, len ${node.len}` : node.type;
  return el('span', { className: 'jp-flight-value-type', text });
}

/**
 * Builds one row of the tree (and, lazily, its children).
 */
function buildNode(
  child: IChild,
  depth: number,
  options: IValueTreeOptions
): HTMLElement {
  const { node } = child;
  const li = el('li', { className: 'jp-flight-value-node' });
  if (!node || typeof node !== 'object') {
    li.appendChild(el('span', { text: str(node) }));
    return li;
  }
  if (node.omitted !== undefined) {
    li.classList.add('jp-flight-value-gap');
    li.appendChild(
      el('span', {
        text: `… ${node.omitted} not shown`,
        title: 'omitted by the target (use -v to see every item)'
      })
    );
    return li;
  }
  const row = el('div', { className: 'jp-flight-value-row' });
  li.appendChild(row);
  const container = isContainer(node);
  const toggle = el('span', {
    className: 'jp-flight-value-toggle',
    text: container ? '▸' : ''
  });
  row.appendChild(toggle);
  if (child.keyNode) {
    row.appendChild(
      el('span', {
        className: 'jp-flight-value-key',
        text: summary(child.keyNode)
      })
    );
    row.appendChild(
      el('span', { className: 'jp-flight-value-sep', text: ': ' })
    );
  } else if (child.label !== null) {
    row.appendChild(
      el('span', { className: 'jp-flight-value-key', text: child.label })
    );
    row.appendChild(
      el('span', { className: 'jp-flight-value-sep', text: ': ' })
    );
  }
  if (!container) {
    for (const part of leafRow(node)) {
      row.appendChild(part);
    }
    const type = typeLabel(node);
    if (type) {
      row.appendChild(type);
    }
    return li;
  }
  row.appendChild(
    el('span', { className: 'jp-flight-value-summary', text: summary(node) })
  );
  row.classList.add('jp-flight-value-expandable');
  row.setAttribute('role', 'treeitem');
  let list: HTMLUListElement | null = null;
  const setOpen = (open: boolean) => {
    if (open && !list) {
      list = el('ul', { className: 'jp-flight-value-children' });
      appendChildren(list, childrenOf(node), 0, depth + 1, options);
      li.appendChild(list);
    }
    if (list) {
      list.hidden = !open;
    }
    toggle.textContent = open ? '▾' : '▸';
    row.setAttribute('aria-expanded', open ? 'true' : 'false');
    li.classList.toggle('jp-mod-expanded', open);
  };
  row.addEventListener('click', () => {
    setOpen(!(list && !list.hidden));
  });
  setOpen(depth < (options.openDepth ?? 1));
  return li;
}

function appendChildren(
  list: HTMLElement,
  children: IChild[],
  start: number,
  depth: number,
  options: IValueTreeOptions
): void {
  const end = Math.min(children.length, start + CHUNK);
  for (let i = start; i < end; i++) {
    list.appendChild(buildNode(children[i], depth, options));
  }
  if (end < children.length) {
    const more = el('li', { className: 'jp-flight-value-more' }, [
      el('button', {
        className: 'jp-flight-link',
        text: `show ${Math.min(CHUNK, children.length - end)} more of ${children.length - end}`
      })
    ]);
    more.firstChild!.addEventListener('click', () => {
      more.remove();
      appendChildren(list, children, end, depth, options);
    });
    list.appendChild(more);
  }
}

/**
 * Renders a value tree.
 */
export function renderValueTree(
  node: IValueNode,
  options: IValueTreeOptions = {}
): HTMLElement {
  const root = el('ul', {
    className: 'jp-flight-value-tree',
    attrs: { role: 'tree' }
  });
  root.appendChild(buildNode({ label: null, node }, 0, options));
  if (node && node.cut_any) {
    root.appendChild(
      el('li', {
        className: 'jp-flight-value-note',
        text: node.cut_verbose
          ? 'Parts of this value were cut even with -v (use -x for depth, -e to select a part).'
          : 'Parts of this value were cut (use -v for whole strings and every item, -x for depth).'
      })
    );
  }
  return root;
}

/**
 * A short one-line rendering of a value tree, as Python would print it (`(18, 2)`,
 * `{'scale': 3}`, `Shop(name='s')`), cut with `…` past `budget` characters.
 */
export function inlineValue(node: IValueNode, budget = 120): string {
  let out = '';
  let full = false;
  const put = (s: string) => {
    if (full) {
      return;
    }
    if (out.length + s.length > budget) {
      out += s.slice(0, Math.max(0, budget - out.length));
      full = true;
    } else {
      out += s;
    }
  };
  const walk = (n: IValueNode | null | undefined) => {
    if (full) {
      return;
    }
    if (!n || typeof n !== 'object') {
      put('?');
      return;
    }
    if (n.omitted !== undefined) {
      put(`…${n.omitted}`);
      return;
    }
    if (Array.isArray(n.items)) {
      const t = str(n.type);
      const [open, close] =
        t === 'list'
          ? ['[', ']']
          : t === 'tuple'
            ? ['(', ')']
            : t === 'set' || t === 'frozenset'
              ? ['{', '}']
              : [`${t}([`, '])'];
      if (!n.items.length && (t === 'set' || t === 'frozenset')) {
        put(`${t}()`);
        return;
      }
      put(open);
      n.items.forEach((item, i) => {
        if (i) {
          put(', ');
        }
        walk(item);
      });
      if (t === 'tuple' && n.items.length === 1) {
        put(',');
      }
      put(close);
      return;
    }
    if (Array.isArray(n.entries)) {
      const t = str(n.type);
      put(t === 'dict' ? '{' : `${t}({`);
      n.entries.forEach((entry, i) => {
        if (i) {
          put(', ');
        }
        if (entry && (entry as any).omitted !== undefined) {
          walk(entry as unknown as IValueNode);
          return;
        }
        walk(entry.key);
        put(': ');
        walk(entry.value);
      });
      put(t === 'dict' ? '}' : '})');
      return;
    }
    if (Array.isArray(n.attrs)) {
      const t = str(n.type);
      put(`${t.slice(t.lastIndexOf('.') + 1)}(`);
      n.attrs.forEach((attr, i) => {
        if (i) {
          put(', ');
        }
        if (attr && (attr as any).omitted !== undefined) {
          walk(attr as unknown as IValueNode);
          return;
        }
        put(`${str(attr.name)}=`);
        walk(attr.value);
      });
      put(')');
      return;
    }
    put(str(n.repr));
  };
  walk(node);
  return full ? `${out}…` : out;
}
