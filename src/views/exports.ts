/**
 * The files of `perf -f`, made in the browser from a `profile` record: collapsed stacks
 * (`.txt`, as flamegraph.pl and inferno read them, and `perf --baseline`), speedscope's file
 * format (`.json`) and a standalone flame graph (`.svg`, no scripts).
 *
 * The CLI writes them from every sample; a record may be pruned (`pruned.nodes` small frames
 * left out): here their samples end in their caller, in a `[small frames left out]` frame.
 */
import { str } from '../dom';
import { IProfileNode, IProfileRecord } from '../types';
import { isLevel } from './flamecanvas';

/**
 * The frame that stands for the samples of frames the record left out.
 */
export const LEFT_OUT_FRAME = '[small frames left out]';

/**
 * The formats, as the CLI's `-f` suffixes name them.
 */
export const EXPORTS = [
  {
    format: 'collapsed',
    suffix: '.txt',
    mime: 'text/plain',
    label: '.txt',
    help: 'collapsed stacks (flamegraph.pl, inferno, perf --baseline)'
  },
  {
    format: 'speedscope',
    suffix: '.json',
    mime: 'application/json',
    label: '.json',
    help: 'speedscope file (one profile per thread)'
  },
  {
    format: 'svg',
    suffix: '.svg',
    mime: 'image/svg+xml',
    label: '.svg',
    help: 'standalone flame graph (SVG, frames of at least 1 px)'
  }
] as const;

/**
 * One of the export formats.
 */
export type ExportFormat = (typeof EXPORTS)[number]['format'];

function num(n: unknown): number {
  return typeof n === 'number' && isFinite(n) && n > 0 ? n : 0;
}

function kids(node: IProfileNode): IProfileNode[] {
  return Array.isArray(node.children) ? node.children : [];
}

/**
 * A frame as py-spy's collapsed text writes it: `function (file:line)`, a native frame's
 * library, and thread / process levels of `--threads` / `--subprocesses`.
 */
export function frameText(node: IProfileNode): string {
  const fn = str(node.function);
  if (isLevel(node)) {
    let m = /^thread (-?\d+): (.*)$/s.exec(fn);
    if (m) {
      return `thread (${m[1]}): ${m[2]}`;
    }
    m = /^thread (-?\d+)$/.exec(fn);
    if (m) {
      return `thread (${m[1]})`;
    }
    m = /^process (\d+): (.*)$/s.exec(fn);
    if (m) {
      return `process ${m[1]}:"${m[2]}"`;
    }
    return fn;
  }
  const file = str(node.file);
  if (node.line !== null && node.line !== undefined) {
    return `${fn} (${file}:${node.line})`;
  }
  return file ? `${fn} (${file})` : fn;
}

/**
 * Every path of a tree that samples end on: (frames below the root, samples, left out).
 */
function* paths(
  root: IProfileNode
): Generator<[IProfileNode[], number, boolean]> {
  const work: [IProfileNode, IProfileNode[]][] = [[root, []]];
  while (work.length) {
    const [node, path] = work.pop()!;
    const own = num(node.self);
    if (own) {
      yield [path, own, false];
    }
    const children = kids(node);
    let under = 0;
    for (const child of children) {
      under += num(child.total);
    }
    const left = num(node.total) - own - under;
    if (left > 0) {
      yield [path, left, true];
    }
    for (let c = children.length - 1; c >= 0; c--) {
      work.push([children[c], [...path, children[c]]]);
    }
  }
}

/**
 * Collapsed stacks of the merged tree: `frame;frame;frame COUNT` per line, outermost first.
 */
export function collapsedStacks(record: IProfileRecord): string {
  const lines: string[] = [];
  for (const [path, count, left] of paths(record.root)) {
    const frames = path.map(frameText);
    if (left) {
      frames.push(LEFT_OUT_FRAME);
    }
    if (frames.length) {
      lines.push(`${frames.join(';')} ${count}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * The title of a profile's files.
 */
export function profileTitle(record: IProfileRecord): string {
  const parts = [`perf of pid ${str(record.pid)}`];
  if (record.samples) {
    parts.push(`${record.samples} samples`);
  }
  if (record.engine) {
    parts.push(`${record.engine} ${str(record.engine_version)}`.trim());
  }
  return parts.join(', ');
}

/**
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json): one sampled
 * profile per thread, weights in samples.
 */
export function speedscopeFile(record: IProfileRecord): object {
  const frames: { name: string; file?: string; line?: number }[] = [];
  const index = new Map<string, number>();
  const frameIndex = (node: IProfileNode | null): number => {
    const key = node
      ? `${str(node.function)}\u0000${str(node.file)}\u0000${str(node.line)}`
      : '\u0000left out';
    let i = index.get(key);
    if (i === undefined) {
      i = frames.length;
      if (!node) {
        frames.push({ name: LEFT_OUT_FRAME });
      } else {
        const entry: { name: string; file?: string; line?: number } = {
          name: str(node.function)
        };
        if (node.file !== null && node.file !== undefined) {
          entry.file = str(node.file);
        }
        if (typeof node.line === 'number' && !isLevel(node)) {
          entry.line = node.line;
        }
        frames.push(entry);
      }
      index.set(key, i);
    }
    return i;
  };
  const trees: { name: string; root: IProfileNode }[] =
    Array.isArray(record.threads) && record.threads.length
      ? record.threads.map(t => ({
          name:
            (t.name || `thread ${t.thread_id}`) +
            (t.pid !== undefined && t.pid !== null ? ` (pid ${t.pid})` : ''),
          root: t.root
        }))
      : [{ name: 'all threads', root: record.root }];
  const profiles = trees
    .filter(t => t.root && typeof t.root === 'object')
    .map(({ name, root }) => {
      const samples: number[][] = [];
      const weights: number[] = [];
      for (const [path, count, left] of paths(root)) {
        const stack = path.map(frameIndex);
        if (left) {
          stack.push(frameIndex(null));
        }
        samples.push(stack);
        weights.push(count);
      }
      return {
        type: 'sampled',
        name,
        unit: 'none',
        startValue: 0,
        endValue: weights.reduce((a, b) => a + b, 0),
        samples,
        weights
      };
    });
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles,
    name: profileTitle(record),
    activeProfileIndex: 0,
    exporter: 'jupyterlab-flight (JupyterLab)'
  };
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '?');
}

function crcHash(text: string): [number, number, number] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  }
  return [
    (h & 0xff) / 255,
    ((h >>> 8) & 0xff) / 255,
    ((h >>> 16) & 0xff) / 255
  ];
}

function svgFill(node: IProfileNode): string {
  const [a, b, c] = crcHash(str(node.function));
  if (node.native) {
    return `rgb(${60 + Math.round(50 * a)},${165 + Math.round(55 * b)},${165 + Math.round(55 * b)})`;
  }
  if (isLevel(node)) {
    const g = 190 + Math.round(25 * a);
    return `rgb(${g},${g},${g})`;
  }
  return `rgb(${205 + Math.round(50 * c)},${Math.round(230 * a)},${Math.round(55 * b)})`;
}

function svgDiffFill(delta: number, scale: number): string {
  const k = scale > 0 ? Math.min(1, Math.abs(delta) / scale) : 0;
  const fade = 255 - Math.round(190 * k);
  return delta > 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

const WIDTH = 1200;
const ROW = 16;
const HEADER = 36;
const CHAR_PX = 6.7;

/**
 * A standalone flame graph of the merged tree: root at the bottom, frames of at least 1 px,
 * a `<title>` tooltip per frame, no scripts; with a baseline, red grew and blue shrank.
 */
export function flameSvg(record: IProfileRecord, width = WIDTH): string {
  const root = record.root;
  const total = num(root?.total);
  const baseSamples = record.baseline ? num(record.baseline.samples) : 0;
  const frames: [number, number, number, IProfileNode][] = [];
  let leftOut = 0;
  if (total) {
    const scale = width / total;
    const work: [IProfileNode, number, number][] = [[root, 0, 0]];
    while (work.length) {
      const [node, x, depth] = work.pop()!;
      frames.push([x, depth, num(node.total) * scale, node]);
      let offset = x;
      for (const child of kids(node)) {
        const w = num(child.total) * scale;
        if (w < 1) {
          leftOut++;
          continue;
        }
        work.push([child, offset, depth + 1]);
        offset += w;
      }
    }
  }
  const maxDepth = frames.reduce((m, f) => Math.max(m, f[1]), 0);
  const height = HEADER + (maxDepth + 1) * ROW + 4;
  const before = num(root?.base) || baseSamples;
  let diffScale = 0;
  if (baseSamples) {
    for (const [, , , node] of frames) {
      if (node.base !== undefined) {
        diffScale = Math.max(
          diffScale,
          Math.abs(num(node.total) / total - num(node.base) / (before || 1))
        );
      }
    }
  }
  let note = 'hover a frame for its samples, share and file:line';
  if (leftOut) {
    note += `; ${leftOut} frames narrower than 1 px left out`;
  }
  if (record.pruned && record.pruned.nodes) {
    note += `; ${record.pruned.nodes} small frames were left out of the record`;
  }
  if (!total) {
    note = 'no samples';
  }
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px">`,
    '<style>svg{background:#fff;color:#222}@media (prefers-color-scheme: dark){svg{background:#1e1e1e;color:#ddd}}</style>',
    `<text x="4" y="14" fill="currentColor">${xml(profileTitle(record))}</text>`,
    `<text x="4" y="29" fill="currentColor" style="opacity:0.7">${xml(note)}</text>`,
    '<g fill="#111">'
  ];
  frames.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  for (const [x, depth, w, node] of frames) {
    const y = HEADER + (maxDepth - depth) * ROW;
    const fill =
      baseSamples && node.base !== undefined && depth > 0 && !isLevel(node)
        ? svgDiffFill(
            num(node.total) / total - num(node.base) / (before || 1),
            diffScale
          )
        : svgFill(node);
    const pct = (100 * num(node.total)) / total;
    const where =
      node.file !== null && node.file !== undefined
        ? node.line !== null && node.line !== undefined
          ? ` (${str(node.file)}:${node.line})`
          : ` (${str(node.file)})`
        : '';
    let tip = `${str(node.function)}${where}\n${num(node.total)} samples (${pct.toFixed(2)}%), self ${num(node.self)}`;
    if (baseSamples && node.base !== undefined) {
      const was = (100 * num(node.base)) / (before || 1);
      tip += `\nbaseline ${num(node.base)} samples (${was.toFixed(2)}%), change ${(pct - was >= 0 ? '+' : '') + (pct - was).toFixed(2)} points`;
    }
    const name = str(node.function);
    const chars = Math.floor((w - 6) / CHAR_PX);
    const label =
      chars < 3
        ? ''
        : name.length <= chars
          ? name
          : `${name.slice(0, chars - 2)}..`;
    parts.push(
      `<g><title>${xml(tip)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w - 0.3, 0.7).toFixed(1)}" height="${ROW - 1}" fill="${fill}"/>` +
        (label
          ? `<text x="${(x + 3).toFixed(1)}" y="${(y + 11.5).toFixed(1)}">${xml(label)}</text>`
          : '') +
        '</g>'
    );
  }
  parts.push('</g></svg>\n');
  return parts.join('');
}

/**
 * The content of an export.
 */
export function exportContent(
  record: IProfileRecord,
  format: ExportFormat
): string {
  switch (format) {
    case 'collapsed':
      return collapsedStacks(record);
    case 'speedscope':
      return JSON.stringify(speedscopeFile(record));
    case 'svg':
      return flameSvg(record);
  }
}

/**
 * The file name of an export: `profile-<pid>.<suffix>`.
 */
export function exportName(
  record: IProfileRecord,
  format: ExportFormat
): string {
  const spec = EXPORTS.find(e => e.format === format)!;
  const pid = typeof record.pid === 'number' ? `-${record.pid}` : '';
  return `profile${pid}${spec.suffix}`;
}

/**
 * Saves an export as a download (nothing happens where the browser cannot make one).
 */
export function download(
  record: IProfileRecord,
  format: ExportFormat
): boolean {
  const spec = EXPORTS.find(e => e.format === format)!;
  if (
    typeof URL === 'undefined' ||
    typeof URL.createObjectURL !== 'function' ||
    typeof Blob === 'undefined'
  ) {
    return false;
  }
  const blob = new Blob([exportContent(record, format)], { type: spec.mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = exportName(record, format);
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return true;
}
