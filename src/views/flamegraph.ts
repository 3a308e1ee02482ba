/**
 * A flame graph with `d3-flame-graph`: click a frame to zoom into it, search, and a tooltip with
 * self and total time and their share of the whole.
 *
 * Target-derived strings (function names, files) reach the DOM only as text: d3-flame-graph sets
 * labels with `.text()`, and the tooltip here is ours and uses `textContent` (d3-flame-graph's
 * own tooltip uses `.html()`, so it is not used). Search matches plain substrings, not regular
 * expressions (d3-flame-graph's default would throw on `(`).
 */
import { flamegraph } from 'd3-flame-graph';
import { select } from 'd3-selection';
import { el } from '../dom';

/**
 * A frame of a flame graph. `value` is the frame's total (itself and everything under it).
 */
export interface IFlameFrame {
  name: string;
  value: number;
  children?: IFlameFrame[];
  /**
   * Where the frame is ("file:line"), for the tooltip.
   */
  where?: string;
  /**
   * `builtin`, `await` and `folded` frames are coloured apart.
   */
  kind?: 'python' | 'builtin' | 'await' | 'folded' | 'native';
  /**
   * A note for the tooltip ("12 calls under 1 ms, left out").
   */
  note?: string;
}

/**
 * Options of a flame graph.
 */
export interface IFlameGraphOptions {
  /**
   * The unit of `value` (`ms`, `samples`).
   */
  unit?: string;
  /**
   * Root at the top (an icicle, as a call tree reads) or at the bottom. Default: top.
   */
  inverted?: boolean;
  /**
   * The width when the view is not in the page yet (default 960).
   */
  width?: number;
  /**
   * Zoom and draw animations, in ms (default: 300, none for more than 5,000 frames).
   */
  transition?: number;
  /**
   * Frames narrower than this many pixels are not drawn (default 2: they could not show even
   * one character, and drawing thousands of them is what makes big graphs slow).
   */
  minFrameSize?: number;
}

/**
 * The node d3-flame-graph draws: our frame with its self value.
 */
interface IDrawn {
  name: string;
  value: number;
  children: IDrawn[];
  frame: IFlameFrame;
  total: number;
  self: number;
}

const HUES: { [kind: string]: [number, number, number] } = {
  // [hue range start, hue range width, saturation]
  python: [0, 55, 80],
  native: [30, 20, 55],
  builtin: [195, 30, 60]
};

function hash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length && i < 40; i++) {
    h = (h * 31 + name.charCodeAt(i)) | 0;
  }
  return Math.abs(h % 1000) / 1000;
}

/**
 * Whether JupyterLab shows a dark theme now.
 */
export function darkTheme(): boolean {
  return (
    typeof document !== 'undefined' &&
    document.body.dataset.jpThemeLight === 'false'
  );
}

/**
 * The fill of a frame: warm for Python, blue for builtins, grey for awaits and folded calls,
 * magenta for search matches. Light fills under the light theme, dark ones under a dark theme,
 * so that labels in the theme's font colour read on both.
 */
export function frameColor(
  frame: IFlameFrame,
  highlight: boolean,
  dark = false
): string {
  if (highlight) {
    return dark ? 'hsl(300, 70%, 38%)' : 'hsl(300, 100%, 70%)';
  }
  const kind = frame.kind ?? 'python';
  if (kind === 'await') {
    return dark ? 'hsl(220, 8%, 34%)' : 'hsl(220, 8%, 78%)';
  }
  if (kind === 'folded') {
    return dark ? 'hsl(0, 0%, 26%)' : 'hsl(0, 0%, 86%)';
  }
  const [start, width, saturation] = HUES[kind] ?? HUES.python;
  const v = hash(frame.name);
  const lightness = dark ? 30 + v * 10 : 62 + v * 12;
  return `hsl(${Math.round(start + v * width)}, ${saturation}%, ${Math.round(lightness)}%)`;
}

const views = new WeakMap<Element, FlameGraphView>();
let themeObserver: MutationObserver | null = null;

/**
 * Colours the drawn flame graphs again when JupyterLab's theme changes.
 */
function watchTheme(): void {
  if (themeObserver || typeof MutationObserver === 'undefined') {
    return;
  }
  themeObserver = new MutationObserver(() => {
    document.querySelectorAll('.jp-flight-flame').forEach(node => {
      views.get(node)?.retheme();
    });
  });
  themeObserver.observe(document.body, {
    attributes: true,
    attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
  });
}

function toDrawn(frame: IFlameFrame): { root: IDrawn; count: number } {
  let count = 0;
  // iterative, so that deep recursion in a profile cannot overflow the stack
  const make = (f: IFlameFrame): IDrawn => {
    count++;
    return {
      name: f.name,
      value: 0,
      children: [],
      frame: f,
      total: Math.max(0, Number(f.value) || 0),
      self: 0
    };
  };
  const root = make(frame);
  const stack: IDrawn[] = [root];
  while (stack.length) {
    const d = stack.pop()!;
    let sum = 0;
    for (const child of d.frame.children ?? []) {
      const c = make(child);
      d.children.push(c);
      sum += c.total;
      stack.push(c);
    }
    d.self = Math.max(0, d.total - sum);
    // d3-flame-graph is used with selfValue(true): each node's value is its own time only
    d.value = d.self;
  }
  return { root, count };
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '';
}

function amount(value: number, unit: string): string {
  if (unit === 'ms') {
    const a = Math.abs(value);
    return `${a >= 100 ? value.toFixed(1) : a >= 1 ? value.toFixed(2) : value.toFixed(3)} ms`;
  }
  return `${Math.round(value)} ${unit}`;
}

/**
 * A flame graph view: a toolbar (search, reset zoom, details line) over the graph.
 */
export class FlameGraphView {
  readonly node: HTMLElement;

  constructor(frame: IFlameFrame, options: IFlameGraphOptions = {}) {
    this._options = options;
    const { root, count } = toDrawn(frame);
    this._root = root;
    this._count = count;
    this._unit = options.unit ?? 'ms';
    this._search = el('input', {
      className: 'jp-flight-search',
      attrs: {
        type: 'search',
        placeholder: 'search functions',
        'aria-label': 'search the flame graph'
      }
    });
    this._details = el('span', { className: 'jp-flight-flame-details' });
    const reset = el('button', {
      className: 'jp-flight-link jp-flight-flame-reset',
      text: 'reset zoom',
      attrs: { type: 'button' }
    });
    this._graph = el('div', { className: 'jp-flight-flame-graph' });
    this._tip = el('div', {
      className: 'jp-flight-flame-tip',
      attrs: { role: 'tooltip' }
    });
    this._tip.hidden = true;
    this.node = el('div', { className: 'jp-flight-flame' }, [
      el('div', { className: 'jp-flight-toolbar' }, [
        this._search,
        reset,
        this._details
      ]),
      this._graph,
      this._tip
    ]);
    this._search.addEventListener('input', () =>
      this.search(this._search.value)
    );
    reset.addEventListener('click', () => this.resetZoom());
    this._graph.addEventListener('mousemove', event => {
      this._mouse = { x: event.clientX, y: event.clientY };
      if (!this._tip.hidden) {
        this._placeTip();
      }
    });
    this._graph.addEventListener('mouseleave', () => {
      this._tip.hidden = true;
    });
    this._showDetails();
    views.set(this.node, this);
    watchTheme();
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(entries => {
        const width = Math.floor(entries[entries.length - 1].contentRect.width);
        if (width > 0 && !this._chart) {
          this.draw(width);
        } else if (width > 0 && Math.abs(width - this._width) > 20) {
          this._width = width;
          this._chart.width(width);
          this._chart.update();
        }
      });
      this._resize.observe(this._graph);
    }
  }

  /**
   * How many frames the graph has.
   */
  get count(): number {
    return this._count;
  }

  /**
   * The d3-flame-graph chart, once drawn.
   */
  get chart(): any {
    return this._chart;
  }

  /**
   * Draws the graph (done by itself when the view gets a width in the page).
   */
  draw(width?: number): void {
    if (this._chart) {
      return;
    }
    const w = width || this._graph.clientWidth || this._options.width || 960;
    this._dark = darkTheme();
    this._width = w;
    const transition =
      this._options.transition ?? (this._count > 5000 ? 0 : 300);
    const tip: any = () => undefined;
    tip.show = (d: any) => this._showTip(d);
    tip.hide = () => {
      this._tip.hidden = true;
    };
    const chart = flamegraph()
      .width(w)
      .cellHeight(18)
      .minFrameSize(this._options.minFrameSize ?? 2)
      .transitionDuration(transition)
      .inverted(this._options.inverted ?? true)
      .sort(false)
      .selfValue(true)
      .tooltip(tip as any) as any;
    chart
      .getName((d: any) => d.data.name)
      .setColorMapper((d: any) =>
        frameColor(d.data.frame, !!d.highlight, this._dark)
      )
      .setSearchMatch((d: any, term: string) => {
        if (!term) {
          return false;
        }
        const f: IFlameFrame = d.data.frame;
        const needle = term.toLowerCase();
        return (
          f.name.toLowerCase().includes(needle) ||
          (!!f.where && f.where.toLowerCase().includes(needle))
        );
      })
      .setSearchHandler((results: any[]) => {
        // the share of the whole (zoomed or not): matches not under another match
        const matched = new Set(results);
        let sum = 0;
        for (const d of results) {
          let up = d.parent;
          while (up && !matched.has(up)) {
            up = up.parent;
          }
          if (!up) {
            sum += (d.data as IDrawn).total;
          }
        }
        this._searchText = this._search.value
          ? `${results.length} ${results.length === 1 ? 'match' : 'matches'}, ${percent(sum, this._root.total)} of the time`
          : '';
        this._showDetails();
      })
      .setDetailsHandler(() => undefined)
      .onClick((d: any) => {
        this._zoomed = d.depth > 0 ? d.data : null;
        this._showDetails();
      });
    select(this._graph).datum(this._root).call(chart);
    this._chart = chart;
  }

  /**
   * Highlights the frames whose name or file contains `term` (case-insensitive).
   */
  search(term: string): void {
    if (!this._chart) {
      return;
    }
    if (term) {
      this._chart.search(term);
    } else {
      this._chart.clear();
      this._searchText = '';
      this._showDetails();
    }
  }

  /**
   * Zooms into the first frame named `name` (tests, benchmarks).
   */
  zoomTo(name: string): boolean {
    if (!this._chart) {
      return false;
    }
    let found: any = null;
    // the hierarchy d3-flame-graph built from our frames
    const root: any = select(this._graph).datum();
    root.each((d: any) => {
      if (!found && d.data.name === name) {
        found = d;
      }
    });
    if (found) {
      this._chart.zoomTo(found);
      this._zoomed = found.depth > 0 ? found.data : null;
      this._showDetails();
    }
    return !!found;
  }

  /**
   * Shows the whole graph again.
   */
  resetZoom(): void {
    if (this._chart) {
      this._chart.resetZoom();
    }
    this._zoomed = null;
    this._showDetails();
  }

  /**
   * Colours the frames for the current theme.
   */
  retheme(): void {
    const dark = darkTheme();
    if (this._chart && dark !== this._dark) {
      this._dark = dark;
      this._chart.update();
    }
  }

  /**
   * Stops following the view's size.
   */
  dispose(): void {
    this._resize?.disconnect();
    this._chart?.destroy();
  }

  private _showDetails(): void {
    const total = this._root.total;
    const parts = [
      `${this._count} ${this._count === 1 ? 'frame' : 'frames'}, ${amount(total, this._unit)}`
    ];
    if (this._zoomed) {
      parts.push(
        `zoomed into ${this._zoomed.name} (${percent(this._zoomed.total, total)})`
      );
    }
    if (this._searchText) {
      parts.push(this._searchText);
    }
    this._details.textContent = parts.join(' · ');
  }

  private _showTip(d: any): void {
    const data: IDrawn = d.data;
    const total = this._root.total;
    const lines: [string, string][] = [
      ['jp-flight-flame-tip-name', data.name],
      ['jp-flight-flame-tip-where', data.frame.where ?? ''],
      [
        '',
        `total ${amount(data.total, this._unit)} (${percent(data.total, total)})`
      ],
      [
        '',
        `self ${amount(data.self, this._unit)} (${percent(data.self, total)})`
      ],
      ['jp-flight-flame-tip-note', data.frame.note ?? '']
    ];
    this._tip.textContent = '';
    for (const [className, text] of lines) {
      if (text) {
        this._tip.appendChild(el('div', { className, text }));
      }
    }
    this._tip.hidden = false;
    this._placeTip();
  }

  private _placeTip(): void {
    // inside the view: right of and below the pointer, or left of / above it near the edges
    const box = this.node.getBoundingClientRect();
    const width = this._tip.offsetWidth || 260;
    const height = this._tip.offsetHeight || 80;
    let x = this._mouse.x - box.left + 14;
    let y = this._mouse.y - box.top + 14;
    if (x + width > box.width) {
      x = Math.max(0, this._mouse.x - box.left - width - 14);
    }
    if (y + height > box.height) {
      y = Math.max(0, this._mouse.y - box.top - height - 8);
    }
    this._tip.style.left = `${x}px`;
    this._tip.style.top = `${y}px`;
  }

  private _options: IFlameGraphOptions;
  private _root: IDrawn;
  private _count: number;
  private _unit: string;
  private _width = 0;
  private _chart: any = null;
  private _graph: HTMLElement;
  private _search: HTMLInputElement;
  private _details: HTMLElement;
  private _tip: HTMLElement;
  private _mouse = { x: 0, y: 0 };
  private _zoomed: IDrawn | null = null;
  private _searchText = '';
  private _resize: ResizeObserver | null = null;
  private _dark = false;
}
