/**
 * A flame graph drawn on a canvas, for the call trees of sampling profiles (`profile` records):
 * 200,000 frames lay out in typed arrays and each drawing visits only the frames wide enough to
 * see, so drawing, zooming and searching cost what is on screen, not the size of the tree.
 *
 * - Click a frame to zoom into it (its callers stay above, full width); click a caller, `back`
 *   or `reset` to zoom out. The zoom is kept as a path of frames, so it survives a new tree
 *   (a live update, another thread, another order) wherever that path still exists.
 * - Search highlights frames whose function or file contains the text (plain text, any case).
 * - Root at the bottom (flame) or at the top (icicle); children by samples (left-heavy) or by
 *   name (flamegraph.pl's order, stable between two captures).
 * - With a baseline (`base` on the nodes) frames are coloured by the change of their share of
 *   samples: red grew, blue shrank.
 * - HiDPI (devicePixelRatio), follows its container's width, light and dark themes.
 *
 * Target-derived strings are only drawn with `fillText` and put in the tooltip as text.
 */
import { el, str } from '../dom';
import { IProfileNode } from '../types';
import { darkTheme } from './flamegraph';

/**
 * Where the root is: at the bottom (a flame graph) or at the top (an icicle).
 */
export type FlameOrientation = 'flame' | 'icicle';

/**
 * The order of a frame's children: by samples, largest first, or by name.
 */
export type FlameOrder = 'heavy' | 'name';

/**
 * What a search found: frames matching, and the samples under them (each sample once).
 */
export interface IFlameSearch {
  term: string;
  frames: number;
  samples: number;
}

/**
 * Options of a canvas flame graph.
 */
export interface IFlameCanvasOptions {
  orientation?: FlameOrientation;
  order?: FlameOrder;
  /**
   * The width when the view is not in the page (default 960).
   */
  width?: number;
  /**
   * Height of a row in CSS pixels (default 18).
   */
  rowHeight?: number;
  /**
   * Frames narrower than this many CSS pixels are not drawn (default 1).
   */
  minFrameWidth?: number;
  /**
   * Samples of the baseline: frames are coloured by the change of their share against it.
   */
  baseline?: number | null;
  /**
   * The tooltip's lines for a frame: [class, text] pairs (the first is the function).
   */
  describe?: (node: IProfileNode, graph: FlameCanvas) => [string, string][];
  /**
   * Called after the zoom, the search or the tree changed.
   */
  onChange?: (graph: FlameCanvas) => void;
}

/**
 * A frame's identity along a path: function, file and line.
 */
export function frameKey(node: IProfileNode): string {
  return `${str(node.function)}\u0000${str(node.file)}\u0000${str(node.line)}`;
}

/**
 * Whether a node is a level of the tree (the root, a thread or process level), not code.
 */
export function isLevel(node: IProfileNode): boolean {
  return (
    (node.file === null || node.file === undefined) &&
    (node.line === null || node.line === undefined) &&
    !node.native
  );
}

function num(n: unknown): number {
  return typeof n === 'number' && isFinite(n) && n > 0 ? n : 0;
}

/**
 * A tree laid out in pre-order: a frame's subtree is the index range [i, end[i]), and its
 * children are at i + 1, end[i + 1], ... Offsets (`start`) are in samples from the root's left.
 */
export class FlameLayout {
  /**
   * Lays out `root`, children in `order`. Iterative: deep recursion cannot overflow the stack.
   */
  constructor(root: IProfileNode, order: FlameOrder = 'heavy') {
    const nodes: IProfileNode[] = [];
    const parents: number[] = [];
    const depths: number[] = [];
    const starts: number[] = [];
    // parallel stacks (no tuple per frame): node, parent index, depth, offset
    const sNode: IProfileNode[] = [root];
    const sParent: number[] = [-1];
    const sDepth: number[] = [0];
    const sStart: number[] = [0];
    let maxDepth = 0;
    while (sNode.length) {
      const node = sNode.pop()!;
      const parent = sParent.pop()!;
      const depth = sDepth.pop()!;
      const start = sStart.pop()!;
      const index = nodes.length;
      nodes.push(node);
      parents.push(parent);
      depths.push(depth);
      starts.push(start);
      if (depth > maxDepth) {
        maxDepth = depth;
      }
      const children = node.children;
      if (!Array.isArray(children) || !children.length) {
        continue;
      }
      const ordered = inOrder(children, order)
        ? children
        : sortChildren(children, order);
      // offsets left to right; pushed right to left so that the leftmost is visited first
      let x = start;
      for (let c = 0; c < ordered.length; c++) {
        x += num(ordered[c].total);
      }
      for (let c = ordered.length - 1; c >= 0; c--) {
        const child = ordered[c];
        x -= num(child.total);
        sNode.push(child);
        sParent.push(index);
        sDepth.push(depth + 1);
        sStart.push(x);
      }
    }
    const n = nodes.length;
    this.size = n;
    this.nodes = nodes;
    this.parent = Int32Array.from(parents);
    this.depth = Int32Array.from(depths);
    this.start = Float64Array.from(starts);
    this.total = new Float64Array(n);
    this.end = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.total[i] = num(nodes[i].total);
      this.end[i] = 1;
    }
    // subtree sizes, children after their parent in pre-order
    for (let i = n - 1; i > 0; i--) {
      this.end[this.parent[i]] += this.end[i];
    }
    for (let i = 0; i < n; i++) {
      this.end[i] += i;
    }
    this.maxDepth = maxDepth;
  }

  readonly size: number;
  readonly nodes: IProfileNode[];
  readonly parent: Int32Array;
  readonly depth: Int32Array;
  readonly start: Float64Array;
  readonly total: Float64Array;
  readonly end: Int32Array;
  readonly maxDepth: number;

  /**
   * The children of frame `i`, in order.
   */
  children(i: number): number[] {
    const out: number[] = [];
    for (let c = i + 1; c < this.end[i]; c = this.end[c]) {
      out.push(c);
    }
    return out;
  }

  /**
   * The frames from the root's child down to `i` (the root itself has the empty path).
   */
  path(i: number): string[] {
    const keys: string[] = [];
    for (let at = i; at > 0; at = this.parent[at]) {
      keys.push(frameKey(this.nodes[at]));
    }
    return keys.reverse();
  }

  /**
   * The frame at `path`, or the deepest one on the way there that exists.
   */
  find(path: readonly string[]): number {
    let at = 0;
    for (const key of path) {
      const next = this.children(at).find(c => frameKey(this.nodes[c]) === key);
      if (next === undefined) {
        break;
      }
      at = next;
    }
    return at;
  }
}

/**
 * Whether children are in `order` already (records come sorted by total): no copy to sort.
 */
function inOrder(children: IProfileNode[], order: FlameOrder): boolean {
  if (order !== 'heavy') {
    return false;
  }
  let last = Infinity;
  for (let c = 0; c < children.length; c++) {
    const child = children[c];
    if (!child || typeof child !== 'object') {
      return false;
    }
    const total = num(child.total);
    if (total > last) {
      return false;
    }
    last = total;
  }
  return true;
}

function sortChildren(
  children: IProfileNode[],
  order: FlameOrder
): IProfileNode[] {
  const copy = children.filter(c => c && typeof c === 'object');
  if (order === 'name') {
    return copy.sort(
      (a, b) =>
        str(a.function).localeCompare(str(b.function)) ||
        str(a.file).localeCompare(str(b.file)) ||
        num(a.line) - num(b.line)
    );
  }
  // stable: equal totals keep the record's order
  return copy
    .map((c, i) => ({ c, i }))
    .sort((a, b) => num(b.c.total) - num(a.c.total) || a.i - b.i)
    .map(x => x.c);
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length && i < 48; i++) {
    h = (h * 31 + text.charCodeAt(i)) | 0;
  }
  return (Math.abs(h) % 1000) / 1000;
}

/**
 * The fill of a frame: warm for Python, aqua for native code, grey for the root and thread
 * levels, magenta for a search match; light fills in the light theme, dark in a dark one.
 */
export function flameFill(
  node: IProfileNode,
  dark: boolean,
  highlight = false
): string {
  if (highlight) {
    return dark ? 'hsl(300, 65%, 40%)' : 'hsl(300, 100%, 72%)';
  }
  const v = hash(str(node.function));
  if (node.native) {
    return dark
      ? `hsl(${Math.round(175 + v * 20)}, 45%, ${Math.round(28 + v * 8)}%)`
      : `hsl(${Math.round(175 + v * 20)}, 55%, ${Math.round(62 + v * 10)}%)`;
  }
  if (isLevel(node)) {
    return dark
      ? `hsl(220, 6%, ${Math.round(30 + v * 6)}%)`
      : `hsl(220, 6%, ${Math.round(80 + v * 6)}%)`;
  }
  const hue = Math.round(v * 50);
  return dark
    ? `hsl(${hue}, 62%, ${Math.round(30 + v * 9)}%)`
    : `hsl(${hue}, 85%, ${Math.round(62 + v * 12)}%)`;
}

/**
 * The fill of a frame in a differential graph: `delta` is the change of its share of samples
 * (now less before), `scale` the largest change in the graph. Red grew, blue shrank; the
 * stronger the colour, the larger the change.
 */
export function diffFill(delta: number, scale: number, dark: boolean): string {
  const k = scale > 0 ? Math.min(1, Math.abs(delta) / scale) : 0;
  const hue = delta > 0 ? 0 : 220;
  if (!delta || k < 0.005) {
    return dark ? 'hsl(220, 5%, 32%)' : 'hsl(220, 5%, 88%)';
  }
  return dark
    ? `hsl(${hue}, ${Math.round(25 + 50 * k)}%, ${Math.round(30 + 8 * k)}%)`
    : `hsl(${hue}, ${Math.round(60 + 35 * k)}%, ${Math.round(92 - 30 * k)}%)`;
}

const canvases = new Set<FlameCanvas>();
let themeObserver: MutationObserver | null = null;

function watchTheme(): void {
  if (themeObserver || typeof MutationObserver === 'undefined') {
    return;
  }
  themeObserver = new MutationObserver(() => {
    canvases.forEach(graph => graph.retheme());
  });
  themeObserver.observe(document.body, {
    attributes: true,
    attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
  });
}

const raf: (cb: () => void) => unknown =
  typeof requestAnimationFrame === 'function'
    ? cb => requestAnimationFrame(cb)
    : cb => setTimeout(cb, 0);

/**
 * The canvas flame graph.
 */
export class FlameCanvas {
  readonly node: HTMLElement;

  constructor(root: IProfileNode, options: IFlameCanvasOptions = {}) {
    this._options = options;
    this._orientation = options.orientation ?? 'flame';
    this._order = options.order ?? 'heavy';
    this._rowHeight = options.rowHeight ?? 18;
    this._minWidth = options.minFrameWidth ?? 1;
    this._baseline = options.baseline ?? null;
    this._canvas = el('canvas', {
      className: 'jp-flight-flamecanvas-canvas',
      attrs: {
        tabindex: '0',
        role: 'img',
        'aria-label':
          'flame graph: click a frame to zoom into it, Escape to zoom out'
      }
    });
    this._tip = el('div', {
      className: 'jp-flight-flame-tip',
      attrs: { role: 'tooltip' }
    });
    this._tip.hidden = true;
    this.node = el('div', { className: 'jp-flight-flamecanvas' }, [
      this._canvas,
      this._tip
    ]);
    this._root = root;
    this._layout = new FlameLayout(root, this._order);
    this._focus = 0;
    this._computeDiffScale();
    this._listen();
    canvases.add(this);
    watchTheme();
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(entries => {
        const width = Math.floor(entries[entries.length - 1].contentRect.width);
        if (width > 0 && width !== this._width) {
          this._width = width;
          this.scheduleDraw();
        }
      });
      this._resize.observe(this.node);
    }
    this.scheduleDraw();
  }

  /**
   * The laid-out tree.
   */
  get layout(): FlameLayout {
    return this._layout;
  }

  /**
   * How many frames the tree has.
   */
  get count(): number {
    return this._layout.size;
  }

  /**
   * The root of the tree shown.
   */
  get root(): IProfileNode {
    return this._root;
  }

  /**
   * The frame zoomed into (the root when not zoomed).
   */
  get focus(): IProfileNode {
    return this._layout.nodes[this._focus];
  }

  /**
   * The path of the frame zoomed into (empty when not zoomed).
   */
  get zoomPath(): string[] {
    return this._layout.path(this._focus);
  }

  /**
   * Whether `back` has somewhere to go.
   */
  get canGoBack(): boolean {
    return this._history.length > 0;
  }

  get orientation(): FlameOrientation {
    return this._orientation;
  }

  get order(): FlameOrder {
    return this._order;
  }

  /**
   * What the current search found (null without a search).
   */
  get searchResult(): IFlameSearch | null {
    return this._search;
  }

  /**
   * How many frames the last drawing drew.
   */
  get drawnCount(): number {
    return this._drawn;
  }

  /**
   * The width drawn at (CSS pixels).
   */
  get width(): number {
    return this._width || this._options.width || 960;
  }

  /**
   * Shows another tree (a newer snapshot, another thread), keeping the zoom (by path) and the
   * search; `baseline` changes the differential colouring.
   */
  setTree(root: IProfileNode, baseline?: number | null): void {
    const path = this.zoomPath;
    this._root = root;
    if (baseline !== undefined) {
      this._baseline = baseline;
    }
    this._relayout(path);
  }

  setOrientation(orientation: FlameOrientation): void {
    if (orientation !== this._orientation) {
      this._orientation = orientation;
      this.scheduleDraw();
      this._changed();
    }
  }

  setOrder(order: FlameOrder): void {
    if (order !== this._order) {
      this._order = order;
      this._relayout(this.zoomPath);
    }
  }

  /**
   * Zooms into frame `i` of the layout (0: the whole graph).
   */
  zoom(i: number): void {
    if (i < 0 || i >= this._layout.size || i === this._focus) {
      return;
    }
    this._history.push(this.zoomPath);
    this._focus = i;
    this._afterZoom();
  }

  /**
   * Zooms into the first frame (in pre-order) whose function is `name`.
   */
  zoomTo(name: string): boolean {
    const i = this._layout.nodes.findIndex(n => n.function === name);
    if (i < 0) {
      return false;
    }
    this.zoom(i);
    return true;
  }

  /**
   * Goes back to the previous zoom.
   */
  back(): void {
    const path = this._history.pop();
    if (path === undefined) {
      return;
    }
    this._focus = this._layout.find(path);
    this._afterZoom();
  }

  /**
   * Shows the whole graph.
   */
  reset(): void {
    if (this._focus === 0 && !this._history.length) {
      return;
    }
    this._history = [];
    this._focus = 0;
    this._afterZoom();
  }

  /**
   * Highlights the frames whose function or file contains `term` (plain text, any case);
   * returns what matched.
   */
  search(term: string): IFlameSearch | null {
    this._term = term.trim();
    this._match();
    this.scheduleDraw();
    this._changed();
    return this._search;
  }

  /**
   * Whether frame `i` matches the current search.
   */
  matches(i: number): boolean {
    return !!this._matched && this._matched[i] === 1;
  }

  /**
   * The frame under a point of the canvas (CSS pixels from its top left), or -1.
   */
  hit(x: number, y: number): number {
    const row = Math.floor(y / this._rowHeight);
    if (row < 0 || row >= this._rows) {
      return -1;
    }
    const depth = this._orientation === 'icicle' ? row : this._rows - 1 - row;
    for (let k = 0; k < this._drawn; k++) {
      if (
        this._drawnDepth[k] === depth &&
        x >= this._drawnX[k] &&
        x < this._drawnX[k] + this._drawnW[k]
      ) {
        return this._drawnIndex[k];
      }
    }
    return -1;
  }

  /**
   * Where frame `i` was last drawn (CSS pixels in the canvas), or null if it was not.
   */
  frameBox(
    i: number
  ): { x: number; y: number; width: number; height: number } | null {
    for (let k = 0; k < this._drawn; k++) {
      if (this._drawnIndex[k] === i) {
        const depth = this._drawnDepth[k];
        const row =
          this._orientation === 'icicle' ? depth : this._rows - 1 - depth;
        return {
          x: this._drawnX[k],
          y: row * this._rowHeight,
          width: this._drawnW[k],
          height: this._rowHeight
        };
      }
    }
    return null;
  }

  /**
   * The tooltip's lines for frame `i`.
   */
  describe(i: number): [string, string][] {
    const node = this._layout.nodes[i];
    if (!node) {
      return [];
    }
    if (this._options.describe) {
      return this._options.describe(node, this);
    }
    return [
      ['jp-flight-flame-tip-name', str(node.function)],
      ['', `${num(node.total)} samples, self ${num(node.self)}`]
    ];
  }

  /**
   * Draws on the next animation frame (several requests, one drawing).
   */
  scheduleDraw(): void {
    if (this._scheduled || this._disposed) {
      return;
    }
    this._scheduled = true;
    raf(() => {
      this._scheduled = false;
      if (!this._disposed) {
        this.draw();
      }
    });
  }

  /**
   * Draws now, `width` CSS pixels wide (default: the container's width).
   */
  draw(width?: number): void {
    if (this._disposed) {
      return;
    }
    if (width && width > 0) {
      this._width = Math.floor(width);
    } else if (!this._width) {
      this._width = Math.floor(this.node.clientWidth) || 0;
    }
    const w = this.width;
    const layout = this._layout;
    const f = this._focus;
    const x0 = layout.start[f];
    const span = layout.total[f] || 1;
    const k = w / span;
    this._ensureDrawnCapacity();
    let drawn = 0;
    let maxDepth = 0;
    const push = (i: number, x: number, width: number) => {
      this._drawnIndex[drawn] = i;
      this._drawnX[drawn] = x;
      this._drawnW[drawn] = width;
      this._drawnDepth[drawn] = layout.depth[i];
      drawn++;
      if (layout.depth[i] > maxDepth) {
        maxDepth = layout.depth[i];
      }
    };
    // the callers of the focus, full width
    const callers: number[] = [];
    for (let a = layout.parent[f]; a >= 0; a = layout.parent[a]) {
      callers.push(a);
    }
    for (let c = callers.length - 1; c >= 0; c--) {
      push(callers[c], 0, w);
    }
    // the focus and what is under it, skipping subtrees too narrow to see
    const end = layout.end[f];
    const min = this._minWidth;
    for (let i = f; i < end;) {
      const width = layout.total[i] * k;
      if (width < min && i !== f) {
        i = layout.end[i];
        continue;
      }
      push(i, (layout.start[i] - x0) * k, width);
      i++;
    }
    this._drawn = drawn;
    this._callers = callers.length;
    this._rows = maxDepth + 1;
    this._paint(w);
  }

  /**
   * Colours the graph for the current theme.
   */
  retheme(): void {
    this._fills.clear();
    this._font = '';
    this.scheduleDraw();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._resize?.disconnect();
    canvases.delete(this);
  }

  private _relayout(path: string[]): void {
    this._layout = new FlameLayout(this._root, this._order);
    this._focus = this._layout.find(path);
    this._hover = -1;
    this._computeDiffScale();
    this._match();
    this.scheduleDraw();
    this._changed();
  }

  private _afterZoom(): void {
    this._hover = -1;
    this._tip.hidden = true;
    this.scheduleDraw();
    this._changed();
  }

  private _changed(): void {
    this._options.onChange?.(this);
  }

  private _match(): void {
    const term = this._term.toLowerCase();
    const layout = this._layout;
    if (!term) {
      this._matched = null;
      this._search = null;
      return;
    }
    const n = layout.size;
    const matched = new Uint8Array(n);
    let frames = 0;
    for (let i = 0; i < n; i++) {
      const node = layout.nodes[i];
      if (
        str(node.function).toLowerCase().includes(term) ||
        str(node.file).toLowerCase().includes(term)
      ) {
        matched[i] = 1;
        frames++;
      }
    }
    // samples: a match's total, not again for matches under it
    let samples = 0;
    for (let i = 0; i < n;) {
      if (matched[i]) {
        samples += layout.total[i];
        i = layout.end[i];
      } else {
        i++;
      }
    }
    this._matched = matched;
    this._search = { term: this._term, frames, samples };
  }

  private _computeDiffScale(): void {
    this._diffScale = 0;
    if (!this._baseline) {
      return;
    }
    const layout = this._layout;
    const now = layout.total[0] || 1;
    const before = num(layout.nodes[0].base) || this._baseline || 1;
    let scale = 0;
    for (let i = 1; i < layout.size; i++) {
      const d = Math.abs(
        layout.total[i] / now - num(layout.nodes[i].base) / before
      );
      if (d > scale) {
        scale = d;
      }
    }
    this._diffScale = scale;
    this._diffBefore = before;
  }

  /**
   * The change of frame `i`'s share of samples against the baseline (a fraction), or null.
   */
  delta(i: number): number | null {
    if (!this._baseline) {
      return null;
    }
    const layout = this._layout;
    return (
      layout.total[i] / (layout.total[0] || 1) -
      num(layout.nodes[i].base) / (this._diffBefore || 1)
    );
  }

  private _ensureDrawnCapacity(): void {
    const n = this._layout.size;
    if (this._drawnIndex.length < n) {
      this._drawnIndex = new Int32Array(n);
      this._drawnX = new Float64Array(n);
      this._drawnW = new Float64Array(n);
      this._drawnDepth = new Int32Array(n);
    }
  }

  private _fill(i: number, dark: boolean): string {
    const node = this._layout.nodes[i];
    if (this._matched && this._matched[i]) {
      return flameFill(node, dark, true);
    }
    if (this._baseline && i > 0 && !isLevel(node)) {
      return diffFill(this.delta(i) ?? 0, this._diffScale, dark);
    }
    const name = str(node.function);
    const key = node.native
      ? `n\u0000${name}`
      : isLevel(node)
        ? `l\u0000${name}`
        : name;
    let fill = this._fills.get(key);
    if (fill === undefined) {
      fill = flameFill(node, dark);
      this._fills.set(key, fill);
    }
    return fill;
  }

  private _paint(w: number): void {
    const rowH = this._rowHeight;
    const rows = this._rows;
    const h = rows * rowH;
    let dpr =
      typeof window !== 'undefined' && window.devicePixelRatio > 0
        ? window.devicePixelRatio
        : 1;
    // a canvas has a size limit: very deep graphs draw at a lower resolution
    dpr = Math.min(dpr, 30000 / Math.max(h, 1), 30000 / Math.max(w, 1));
    const cw = Math.max(1, Math.round(w * dpr));
    const ch = Math.max(1, Math.round(h * dpr));
    const canvas = this._canvas;
    if (canvas.width !== cw || canvas.height !== ch) {
      canvas.width = cw;
      canvas.height = ch;
    }
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    let ctx: CanvasRenderingContext2D | null = null;
    try {
      ctx = canvas.getContext('2d');
    } catch {
      ctx = null;
    }
    if (!ctx) {
      // no canvas (a test without one): the layout, hit tests and searches still work
      return;
    }
    const dark = darkTheme();
    if (dark !== this._dark) {
      this._dark = dark;
      this._fills.clear();
    }
    if (!this._font) {
      const style =
        typeof getComputedStyle === 'function'
          ? getComputedStyle(this.node)
          : null;
      const family =
        style?.getPropertyValue('--jp-code-font-family').trim() || 'monospace';
      this._font = `11px ${family}`;
      this._textColor =
        style?.getPropertyValue('--jp-ui-font-color0').trim() ||
        (dark ? '#fff' : '#000');
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = this._font;
    ctx.textBaseline = 'middle';
    const charWidth = ctx.measureText('MMMMMMMMMM').width / 10 || 6.6;
    const icicle = this._orientation === 'icicle';
    const layout = this._layout;
    const labels: [string, number, number][] = [];
    for (let k = 0; k < this._drawn; k++) {
      const i = this._drawnIndex[k];
      const x = this._drawnX[k];
      const fw = this._drawnW[k];
      const depth = this._drawnDepth[k];
      const y = icicle ? depth * rowH : (rows - 1 - depth) * rowH;
      ctx.globalAlpha = k < this._callers ? 0.6 : 1;
      ctx.fillStyle = this._fill(i, dark);
      ctx.fillRect(x, y, fw > 2 ? fw - 1 : fw, rowH - 1);
      const chars = Math.floor((fw - 6) / charWidth);
      if (chars >= 3) {
        const name = str(layout.nodes[i].function);
        labels.push([
          name.length <= chars ? name : `${name.slice(0, chars - 1)}…`,
          x + 3,
          y + rowH / 2
        ]);
      }
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = this._textColor;
    for (const [text, x, y] of labels) {
      ctx.fillText(text, x, y);
    }
    // the frame under the pointer
    if (this._hover >= 0) {
      for (let k = 0; k < this._drawn; k++) {
        if (this._drawnIndex[k] === this._hover) {
          const depth = this._drawnDepth[k];
          const y = icicle ? depth * rowH : (rows - 1 - depth) * rowH;
          ctx.strokeStyle = this._textColor;
          ctx.lineWidth = 1;
          ctx.strokeRect(
            this._drawnX[k] + 0.5,
            y + 0.5,
            Math.max(1, this._drawnW[k] - 2),
            rowH - 2
          );
          break;
        }
      }
    }
  }

  private _listen(): void {
    const canvas = this._canvas;
    const point = (event: MouseEvent) => {
      const box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    };
    canvas.addEventListener('mousemove', event => {
      const { x, y } = point(event);
      const i = this.hit(x, y);
      if (i !== this._hover) {
        this._hover = i;
        this.scheduleDraw();
      }
      if (i < 0) {
        this._tip.hidden = true;
        canvas.style.cursor = '';
        return;
      }
      canvas.style.cursor = 'pointer';
      this._showTip(i, event);
    });
    canvas.addEventListener('mouseleave', () => {
      this._tip.hidden = true;
      if (this._hover >= 0) {
        this._hover = -1;
        this.scheduleDraw();
      }
    });
    canvas.addEventListener('click', event => {
      const { x, y } = point(event);
      const i = this.hit(x, y);
      if (i < 0) {
        return;
      }
      if (i === 0) {
        this.reset();
      } else {
        this.zoom(i);
      }
    });
    canvas.addEventListener('keydown', event => {
      if (event.key === 'Escape' || event.key === 'Backspace') {
        if (this.canGoBack) {
          event.preventDefault();
          this.back();
        }
      }
    });
  }

  private _showTip(i: number, event: MouseEvent): void {
    this._tip.textContent = '';
    for (const [className, text] of this.describe(i)) {
      if (text) {
        this._tip.appendChild(el('div', { className, text }));
      }
    }
    this._tip.hidden = false;
    // right of and below the pointer, or left of / above it near the edges
    const box = this.node.getBoundingClientRect();
    const width = this._tip.offsetWidth || 260;
    const height = this._tip.offsetHeight || 80;
    let x = event.clientX - box.left + 14;
    let y = event.clientY - box.top + 14;
    if (x + width > box.width) {
      x = Math.max(0, event.clientX - box.left - width - 14);
    }
    if (y + height > box.height) {
      y = Math.max(0, event.clientY - box.top - height - 8);
    }
    this._tip.style.left = `${x}px`;
    this._tip.style.top = `${y}px`;
  }

  private _options: IFlameCanvasOptions;
  private _orientation: FlameOrientation;
  private _order: FlameOrder;
  private _rowHeight: number;
  private _minWidth: number;
  private _baseline: number | null;
  private _diffScale = 0;
  private _diffBefore = 0;
  private _canvas: HTMLCanvasElement;
  private _tip: HTMLElement;
  private _root: IProfileNode;
  private _layout: FlameLayout;
  private _focus: number;
  private _history: string[][] = [];
  private _term = '';
  private _matched: Uint8Array | null = null;
  private _search: IFlameSearch | null = null;
  private _width = 0;
  private _rows = 1;
  private _drawn = 0;
  private _callers = 0;
  private _drawnIndex = new Int32Array(0);
  private _drawnX = new Float64Array(0);
  private _drawnW = new Float64Array(0);
  private _drawnDepth = new Int32Array(0);
  private _hover = -1;
  private _dark = false;
  private _font = '';
  private _textColor = '#000';
  private _fills = new Map<string, string>();
  private _scheduled = false;
  private _disposed = false;
  private _resize: ResizeObserver | null = null;
}
