/**
 * Time-series charts with plotly.js (`plotly.js-basic-dist-min`), loaded the first time a chart
 * is drawn so that the extension's main bundle stays small.
 *
 * Colours and fonts come from JupyterLab's CSS variables, read when the chart is drawn; charts
 * are drawn again when the theme changes. Every text in a chart (trace names, axis titles) is
 * ours: plotly's hover labels show numbers only, never target-derived strings.
 */
import { el } from '../dom';

/**
 * One line (or bars) of a chart.
 */
export interface ISeries {
  name: string;
  x: (Date | number)[];
  y: (number | null)[];
  /**
   * A JupyterLab CSS variable for the colour, e.g. `--jp-brand-color1`.
   */
  colorVar: string;
  /**
   * Bars on the right axis instead of a line on the left one.
   */
  bars?: boolean;
}

/**
 * What a chart shows.
 */
export interface IChartData {
  series: ISeries[];
  yTitle: string;
  y2Title?: string;
  /**
   * The unit of the left axis in hover labels (default `ms`).
   */
  yUnit?: string;
  /**
   * With a single point in time, the time axis spans this many ms around it (plotly would
   * otherwise zoom into microseconds).
   */
  singlePointSpanMs?: number;
}

let plotly: Promise<any> | null = null;

/**
 * Loads plotly.js (once).
 */
export function loadPlotly(): Promise<any> {
  if (!plotly) {
    plotly = import('plotly.js-basic-dist-min').then(
      (m: any) => m.default ?? m
    );
  }
  return plotly;
}

const charts = new WeakMap<Element, TimeSeriesChart>();
let themeObserver: MutationObserver | null = null;

function watchTheme(): void {
  if (themeObserver || typeof MutationObserver === 'undefined') {
    return;
  }
  themeObserver = new MutationObserver(() => {
    document.querySelectorAll('.jp-flight-chart').forEach(node => {
      charts.get(node)?.redraw();
    });
  });
  themeObserver.observe(document.body, {
    attributes: true,
    attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
  });
}

function cssVar(node: Element, name: string, fallback: string): string {
  const value = getComputedStyle(node).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * A chart that is drawn when it is in the page and has a width, and again when its data, its
 * size or the theme change.
 */
export class TimeSeriesChart {
  readonly node: HTMLDivElement;

  constructor(data: IChartData, options: { height?: number } = {}) {
    this._data = data;
    this._height = options.height ?? 240;
    this.node = el('div', {
      className: 'jp-flight-chart',
      attrs: { role: 'img', 'aria-label': data.yTitle }
    });
    this.node.style.height = `${this._height}px`;
    charts.set(this.node, this);
    watchTheme();
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(entries => {
        const width = entries[entries.length - 1].contentRect.width;
        if (width > 0 && (this._dirty || Math.abs(width - this._width) > 1)) {
          this._width = width;
          this.redraw();
        }
      });
      this._resize.observe(this.node);
    }
  }

  /**
   * How many times the chart was drawn (tests, benchmarks).
   */
  get draws(): number {
    return this._draws;
  }

  /**
   * Replaces the data and draws again (at most once a frame).
   */
  update(data: IChartData): void {
    this._data = data;
    this.redraw();
  }

  /**
   * Draws again, on the next frame, if the chart is in the page.
   */
  redraw(): void {
    this._dirty = true;
    if (this._scheduled) {
      return;
    }
    this._scheduled = true;
    const frame =
      typeof requestAnimationFrame !== 'undefined'
        ? requestAnimationFrame
        : (f: () => void) => setTimeout(f, 0);
    frame(() => {
      this._scheduled = false;
      if (this.node.isConnected && this.node.clientWidth > 0) {
        void this._draw();
      }
    });
  }

  /**
   * Draws now (whether or not it is visible); resolves when plotly has drawn.
   */
  async draw(): Promise<void> {
    await this._draw();
  }

  private async _draw(): Promise<void> {
    this._dirty = false;
    const Plotly = await loadPlotly();
    const node = this.node;
    const fg = cssVar(node, '--jp-ui-font-color1', '#333');
    const muted = cssVar(node, '--jp-ui-font-color2', '#777');
    const grid = cssVar(node, '--jp-border-color2', '#ddd');
    const font = cssVar(node, '--jp-ui-font-family', 'sans-serif');
    const hasY2 = this._data.series.some(s => s.bars);
    const traces = this._data.series.map(s => {
      const color = cssVar(node, s.colorVar, fg);
      return s.bars
        ? {
            type: 'bar',
            name: s.name,
            x: s.x,
            y: s.y,
            yaxis: 'y2',
            marker: { color, opacity: 0.35 },
            hovertemplate: `%{y}<extra>${s.name}</extra>`
          }
        : {
            type: 'scatter',
            mode: s.x.length > 60 ? 'lines' : 'lines+markers',
            name: s.name,
            x: s.x,
            y: s.y,
            connectgaps: false,
            line: { color, width: 1.5 },
            marker: { color, size: 4 },
            hovertemplate: `%{y:.3f} ${this._data.yUnit ?? 'ms'}<extra>${s.name}</extra>`
          };
    });
    const axis = {
      color: muted,
      gridcolor: grid,
      linecolor: grid,
      zerolinecolor: grid,
      automargin: true
    };
    const layout: any = {
      height: this._height,
      margin: { l: 50, r: hasY2 ? 50 : 10, t: 8, b: 30 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { color: fg, family: font, size: 11 },
      showlegend: true,
      legend: {
        orientation: 'h',
        x: 0,
        y: 1.02,
        yanchor: 'bottom',
        bgcolor: 'rgba(0,0,0,0)'
      },
      hovermode: 'x unified',
      hoverlabel: {
        bgcolor: cssVar(node, '--jp-layout-color1', '#fff'),
        bordercolor: grid,
        font: { color: fg }
      },
      xaxis: { ...axis, type: 'date' },
      yaxis: {
        ...axis,
        title: { text: this._data.yTitle },
        rangemode: 'tozero'
      },
      bargap: 0.3
    };
    if (hasY2) {
      layout.yaxis2 = {
        ...axis,
        title: { text: this._data.y2Title ?? '' },
        overlaying: 'y',
        side: 'right',
        rangemode: 'tozero',
        showgrid: false
      };
    }
    const times = new Set<number>();
    for (const series of this._data.series) {
      for (const x of series.x) {
        times.add(new Date(x).getTime());
      }
    }
    if (times.size === 1 && this._data.singlePointSpanMs) {
      const t = times.values().next().value as number;
      const half = this._data.singlePointSpanMs / 2;
      layout.xaxis.range = [new Date(t - half), new Date(t + half)];
      for (const trace of traces as any[]) {
        if (trace.type === 'bar') {
          trace.width = half * 0.7; // ms on a date axis; plotly's own guess is a hairline
        }
      }
    } else {
      layout.xaxis.autorange = true; // the range above is not kept once more points come
    }
    layout.margin.t = 28;
    await Plotly.react(node, traces, layout, {
      displaylogo: false,
      responsive: false,
      modeBarButtonsToRemove: ['lasso2d', 'select2d', 'toImage']
    });
    this._draws++;
  }

  private _data: IChartData;
  private _height: number;
  private _width = 0;
  private _dirty = true;
  private _scheduled = false;
  private _draws = 0;
  private _resize: ResizeObserver | null = null;
}
