/**
 * Records -> views. The MIME renderer, the sidebar and the live view of a streaming magic all use
 * `appendRecord` / `placeRecord` (`renderRecord` for one record); the last two bound their views
 * with `trimRecords`. A live snapshot (`"live": true`) is superseded in place by the next record
 * of its kind (src/snapshots.ts). Views are found by record kind in `viewRegistry` (src/registry.ts).
 */
import { el, str } from './dom';
import { IRecordGroup, ViewRegistry } from './registry';
import { IPayload, IRecord, MIME_TYPE } from './types';
import { isLive } from './snapshots';
import { registerBuiltinViews } from './views';
import { renderUnknown } from './views/records';

/**
 * The view registry every view of records uses: the built-in views, and those other plugins
 * add through `IFlight.views`.
 */
export const viewRegistry = new ViewRegistry();
registerBuiltinViews(viewRegistry);

/**
 * Whether records of `kind` have a view (else they show through the fallback, as JSON).
 */
export function hasView(kind: string): boolean {
  return viewRegistry.hasView(kind);
}

const groups = new WeakMap<Element, { kind: string; group: IRecordGroup }>();

function kindOf(record: IRecord): string {
  return record && typeof record === 'object' ? str(record.kind) : '';
}

function failed(kind: string, reason: unknown): HTMLElement {
  return el('div', { className: 'jp-flight-error' }, [
    el('span', {
      className: 'jp-flight-error-title',
      text: `cannot show this ${kind} record: ${String(reason)}`
    })
  ]);
}

function wrap(kind: string, node: HTMLElement): HTMLElement {
  const wrapper = el('div', {
    className: `jp-flight-record jp-flight-kind-${kind.replace(/[^a-z0-9_-]/gi, '')}`,
    attrs: { 'data-kind': kind }
  });
  wrapper.appendChild(node);
  return wrapper;
}

/**
 * Renders one record; a view that throws is shown as an error, never breaks the output.
 */
export function renderRecord(record: IRecord): HTMLElement {
  const kind = kindOf(record);
  // the kind picks the view: each view gets the record type of its kind
  const entry = viewRegistry.get(kind);
  if (entry?.group) {
    try {
      const group = entry.view(record);
      const wrapper = wrap(kind, group.node);
      wrapper.classList.add('jp-flight-group');
      groups.set(wrapper, { kind, group });
      return wrapper;
    } catch (reason) {
      return wrap(kind, failed(kind, reason));
    }
  }
  const view = entry ? entry.view : renderUnknown;
  let node: HTMLElement;
  try {
    node = view(record);
  } catch (reason) {
    node = failed(kind, reason);
  }
  return wrap(kind, node);
}

/**
 * Where `placeRecord` put a record: its view, and whether it is one more record there (1) or
 * took the place of the live snapshot it supersedes (0).
 */
export interface IPlacedRecord {
  view: HTMLElement;
  added: 0 | 1;
}

// per container: the view of each kind's live snapshot, which the kind's next record supersedes
const snapshots = new WeakMap<Element, Map<string, HTMLElement>>();

function rememberSnapshot(
  container: HTMLElement,
  kind: string,
  record: IRecord,
  view: HTMLElement
): void {
  if (!isLive(record)) {
    return;
  }
  let views = snapshots.get(container);
  if (!views) {
    views = new Map();
    snapshots.set(container, views);
  }
  views.set(kind, view);
}

/**
 * Puts a record in `container`: in place of the view of the live snapshot it supersedes (a
 * `profile` while sampling: the view updates, keeping what the user set in it); to the view of
 * the records before it when they are of the same streamed kind (one table for a whole
 * `watch`); as a view of its own otherwise.
 */
export function placeRecord(
  container: HTMLElement,
  record: IRecord
): IPlacedRecord {
  const kind = kindOf(record);
  const live = snapshots.get(container);
  const previous = live?.get(kind);
  if (live && previous) {
    live.delete(kind);
    if (previous.parentElement === container) {
      const entry = groups.get(previous);
      let view = previous;
      if (
        entry &&
        entry.kind === kind &&
        (!entry.group.accepts || entry.group.accepts(record))
      ) {
        try {
          entry.group.add(record);
        } catch (reason) {
          view = wrap(kind, failed(kind, reason));
          previous.replaceWith(view);
        }
      } else {
        view = renderRecord(record);
        previous.replaceWith(view);
      }
      rememberSnapshot(container, kind, record, view);
      return { view, added: 0 };
    }
  }
  const last = container.lastElementChild;
  const current = last ? groups.get(last) : undefined;
  if (
    current &&
    (current.kind === kind || !!current.group.joins?.(record)) &&
    (!current.group.accepts || current.group.accepts(record))
  ) {
    try {
      current.group.add(record);
      return { view: last as HTMLElement, added: 1 };
    } catch (reason) {
      const node = wrap(kind, failed(kind, reason));
      container.appendChild(node);
      return { view: node, added: 1 };
    }
  }
  const node = renderRecord(record);
  container.appendChild(node);
  rememberSnapshot(container, kind, record, node);
  return { view: node, added: 1 };
}

/**
 * Says to the views of live snapshots in `container` that their stream is over (a saved
 * result, a stream that ended without a final record): nothing will supersede them.
 */
export function settleSnapshots(container: HTMLElement): void {
  const live = snapshots.get(container);
  if (!live) {
    return;
  }
  snapshots.delete(container);
  for (const view of live.values()) {
    groups.get(view)?.group.settle?.();
  }
}

/**
 * Appends a record to `container` (`placeRecord`) and returns its view.
 */
export function appendRecord(
  container: HTMLElement,
  record: IRecord
): HTMLElement {
  return placeRecord(container, record).view;
}

/**
 * How many records a view made by `renderRecord` / `appendRecord` shows.
 */
export function recordCount(view: Element): number {
  const entry = groups.get(view);
  return entry ? entry.group.size : 1;
}

/**
 * Drops the oldest record of a view: a row of a grouped view, or the whole view. Returns whether
 * the view is gone.
 */
export function dropOldestRecord(view: Element): boolean {
  const entry = groups.get(view);
  if (entry && entry.group.size > 1) {
    entry.group.shift(1);
    return false;
  }
  view.remove();
  return true;
}

/**
 * Drops the oldest records under `container` until at most `max` remain, and returns how many
 * remain; `count` is how many it holds now. Records are the container's views, or those of its
 * entries (the sidebar keeps one entry per command): an entry left without records goes, unless
 * it is the last one, which a running command may still add to.
 */
export function trimRecords(
  container: HTMLElement,
  count: number,
  max: number
): number {
  const limit = Math.max(1, max);
  while (count > limit) {
    const oldest = container.querySelector('.jp-flight-record');
    if (!oldest) {
      // the views were removed behind our back: nothing left to count
      return 0;
    }
    const entry = oldest.parentElement;
    dropOldestRecord(oldest);
    count--;
    if (
      entry &&
      entry !== container &&
      !entry.querySelector('.jp-flight-record') &&
      entry !== container.lastElementChild
    ) {
      entry.remove();
    }
  }
  return count;
}

/**
 * Renders a whole MIME payload: a header line, then every record.
 */
export function renderPayload(payload: IPayload): HTMLElement {
  const root = el('div', {
    className: 'jp-flight-output',
    attrs: { 'data-mime-type': MIME_TYPE }
  });
  if (
    !payload ||
    typeof payload !== 'object' ||
    !Array.isArray(payload.records)
  ) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-error',
        text: 'not a jupyterlab-flight result'
      })
    );
    return root;
  }
  if (payload.v !== 1) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `result schema v${str(payload.v)}; this extension reads v1`
      })
    );
  }
  if (payload.command) {
    root.appendChild(
      el('div', { className: 'jp-flight-command' }, [
        el('span', { className: 'jp-flight-prompt', text: '✈ ' }),
        el('code', { text: str(payload.command) }),
        payload.pid !== null && payload.pid !== undefined
          ? el('span', {
              className: 'jp-flight-muted',
              text: ` · pid ${payload.pid}`
            })
          : null
      ])
    );
  }
  for (const record of payload.records) {
    appendRecord(root, record);
  }
  // a saved result is over: a live snapshot left in it is the last picture
  settleSnapshots(root);
  if (payload.cut) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-value-note',
        text: 'Some records were too large for a notebook and were cut.'
      })
    );
  }
  return root;
}
