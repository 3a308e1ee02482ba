/**
 * Small DOM helpers. Text always goes in through `textContent`: nothing here parses HTML.
 */

/**
 * Options of `el`.
 */
export interface IElementOptions {
  className?: string;
  text?: string;
  title?: string;
  attrs?: { [name: string]: string };
}

/**
 * Creates an element with classes, text (as `textContent`), attributes and children.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: IElementOptions = {},
  children: (Node | null | undefined)[] = []
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) {
    node.className = options.className;
  }
  if (options.text !== undefined) {
    node.textContent = options.text;
  }
  if (options.title !== undefined) {
    node.title = options.title;
  }
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child) {
      node.appendChild(child);
    }
  }
  return node;
}

/**
 * A short inline label ("main", "daemon", "GIL", "native").
 */
export function badge(
  text: string,
  modifier: string,
  title?: string
): HTMLElement {
  return el('span', {
    className: `jp-flight-badge jp-flight-badge-${modifier}`,
    text,
    title
  });
}

/**
 * Text that may wrap after the characters in `after` (dots of qualified names, slashes of
 * paths) and nowhere else: text nodes with `<wbr>` elements between them, no HTML parsed.
 */
export function breakable(
  text: string,
  className?: string,
  after = './'
): HTMLElement {
  const node = el('span', { className });
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (after.includes(text[i]) && i + 1 < text.length) {
      node.appendChild(document.createTextNode(text.slice(start, i + 1)));
      node.appendChild(document.createElement('wbr'));
      start = i + 1;
    }
  }
  node.appendChild(document.createTextNode(text.slice(start)));
  return node;
}

/**
 * A human-readable byte count.
 */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || isNaN(n)) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * `s` as a string, '' for null and undefined.
 */
export function str(s: unknown): string {
  return s === null || s === undefined ? '' : String(s);
}

/**
 * A duration in milliseconds, with a precision that suits its size ('' when missing).
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || typeof ms !== 'number' || isNaN(ms)) {
    return '';
  }
  const a = Math.abs(ms);
  if (a >= 100) {
    return ms.toFixed(1);
  }
  if (a >= 1) {
    return ms.toFixed(2);
  }
  if (a >= 0.01) {
    return ms.toFixed(3);
  }
  return ms === 0 ? '0' : ms.toFixed(4);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A time of day (local) with milliseconds, from epoch seconds ('' when missing).
 */
export function formatTime(epochSeconds: number | null | undefined): string {
  if (
    epochSeconds === null ||
    epochSeconds === undefined ||
    typeof epochSeconds !== 'number' ||
    isNaN(epochSeconds)
  ) {
    return '';
  }
  const d = new Date(epochSeconds * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * A date and time (local), for tooltips ('' when missing).
 */
export function formatDateTime(
  epochSeconds: number | null | undefined
): string {
  if (typeof epochSeconds !== 'number' || isNaN(epochSeconds)) {
    return '';
  }
  const d = new Date(epochSeconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(epochSeconds)}`;
}
