/**
 * A sortable table: click a column header to sort by it, again to reverse.
 *
 * `createTable` also takes rows as they stream in (`add`), drops the oldest (`shift`) and can
 * expand a row into a detail row built the first time it is opened.
 */
import { el } from '../dom';

/**
 * A column of a sortable table.
 */
export interface IColumn<T> {
  title: string;
  /**
   * The cell's content: a string (set as text) or a node.
   */
  cell: (row: T) => string | Node;
  /**
   * The sort key; the cell's text when missing.
   */
  key?: (row: T) => string | number | null | undefined;
  numeric?: boolean;
  /**
   * The header's tooltip (plain text).
   */
  help?: string;
  /**
   * Classes of the column's header and cells.
   */
  className?: string;
}

/**
 * Options of a table.
 */
export interface ITableOptions<T> {
  className?: string;
  rowClass?: (row: T) => string;
  /**
   * The detail of a row, shown under it when the row is clicked; built once, when first opened.
   * Rows for which it returns null are not expandable.
   */
  detail?: (row: T) => Node | null;
  /**
   * Whether a row can be expanded (default: `detail` is given).
   */
  expandable?: (row: T) => boolean;
}

/**
 * A table that rows can be added to.
 */
export interface ITable<T> {
  readonly node: HTMLTableElement;
  readonly rows: readonly T[];
  /**
   * Appends rows (kept in the order of the current sort).
   */
  add(...rows: T[]): void;
  /**
   * Drops the `n` oldest rows.
   */
  shift(n?: number): void;
  /**
   * Opens or closes the detail of a row.
   */
  toggle(row: T, open?: boolean): void;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) {
    return 0;
  }
  if (a === null || a === undefined) {
    return 1;
  }
  if (b === null || b === undefined) {
    return -1;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/**
 * Creates a sortable table with expandable rows.
 */
export function createTable<T>(
  columns: IColumn<T>[],
  initial: T[] = [],
  options: ITableOptions<T> = {}
): ITable<T> {
  const rows: T[] = [];
  const table = el('table', {
    className: `jp-flight-table ${options.className ?? ''}`.trim()
  });
  const headRow = el('tr');
  table.appendChild(el('thead', {}, [headRow]));
  const body = el('tbody');
  table.appendChild(body);
  const detail = options.detail;
  const canExpand = (row: T) =>
    !!detail && (options.expandable ? options.expandable(row) : true);
  let sortColumn = -1;
  let descending = false;
  // per row: its <tr>, built once, and its detail row once opened
  const built = new Map<T, { tr: HTMLTableRowElement; open: boolean }>();
  const details = new Map<T, HTMLTableRowElement>();

  const sortKey = (column: IColumn<T>) =>
    column.key ??
    ((row: T) => {
      const c = column.cell(row);
      return typeof c === 'string' ? c : (c.textContent ?? '');
    });

  const ordered = (): T[] => {
    if (sortColumn < 0) {
      return rows;
    }
    const key = sortKey(columns[sortColumn]);
    return rows
      .map((row, i) => ({ row, i, k: key(row) }))
      .sort((a, b) => {
        const c = compare(a.k, b.k);
        return (descending ? -c : c) || a.i - b.i;
      })
      .map(x => x.row);
  };

  const detailRow = (row: T): HTMLTableRowElement => {
    let tr = details.get(row);
    if (!tr) {
      const td = el('td', {
        className: 'jp-flight-detail-cell',
        attrs: { colspan: String(columns.length) }
      });
      const content = detail ? detail(row) : null;
      if (content) {
        td.appendChild(content);
      }
      tr = el('tr', { className: 'jp-flight-detail-row' }, [td]);
      details.set(row, tr);
    }
    return tr;
  };

  const toggle = (row: T, open?: boolean) => {
    const entry = built.get(row);
    if (!entry || !canExpand(row)) {
      return;
    }
    const next = open === undefined ? !entry.open : open;
    if (next === entry.open) {
      return;
    }
    entry.open = next;
    entry.tr.classList.toggle('jp-mod-expanded', next);
    entry.tr.setAttribute('aria-expanded', String(next));
    if (next) {
      entry.tr.after(detailRow(row));
    } else {
      details.get(row)?.remove();
    }
  };

  const rowNode = (row: T): HTMLTableRowElement => {
    let entry = built.get(row);
    if (!entry) {
      const classes = [options.rowClass ? options.rowClass(row) : ''];
      const expandable = canExpand(row);
      if (expandable) {
        classes.push('jp-flight-expandable');
      }
      const tr = el('tr', { className: classes.join(' ').trim() });
      columns.forEach((column, index) => {
        const content = column.cell(row);
        const td = el('td', {
          className:
            `${column.numeric ? 'jp-flight-numeric' : ''} ${column.className ?? ''}`.trim()
        });
        if (index === 0 && detail) {
          td.appendChild(
            el('span', {
              className: 'jp-flight-row-toggle',
              text: expandable ? '▸' : ''
            })
          );
        }
        if (typeof content === 'string') {
          td.appendChild(document.createTextNode(content));
        } else {
          td.appendChild(content);
        }
        tr.appendChild(td);
      });
      if (expandable) {
        tr.setAttribute('aria-expanded', 'false');
        tr.addEventListener('click', event => {
          // clicks inside a cell's own controls (links, inputs) do not toggle
          const target = event.target as HTMLElement | null;
          if (target && target.closest('a, button, input, summary')) {
            return;
          }
          toggle(row);
        });
      }
      entry = { tr, open: false };
      built.set(row, entry);
    }
    return entry.tr;
  };

  const place = (row: T) => {
    body.appendChild(rowNode(row));
    if (built.get(row)!.open) {
      body.appendChild(detailRow(row));
    }
  };

  const fill = () => {
    body.textContent = '';
    for (const row of ordered()) {
      place(row);
    }
  };

  columns.forEach((column, index) => {
    const th = el('th', {
      className:
        `${column.numeric ? 'jp-flight-numeric' : ''} ${column.className ?? ''}`.trim(),
      text: column.title,
      title: column.help ? `${column.help} (click to sort)` : 'click to sort',
      attrs: { 'aria-sort': 'none' }
    });
    th.addEventListener('click', () => {
      descending = sortColumn === index ? !descending : false;
      sortColumn = index;
      headRow.querySelectorAll('th').forEach(h => {
        h.setAttribute('aria-sort', 'none');
        h.classList.remove('jp-flight-sorted-asc', 'jp-flight-sorted-desc');
      });
      th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      th.classList.add(
        descending ? 'jp-flight-sorted-desc' : 'jp-flight-sorted-asc'
      );
      fill();
    });
    headRow.appendChild(th);
  });

  const handle: ITable<T> = {
    node: table,
    rows,
    add(...added: T[]) {
      rows.push(...added);
      if (sortColumn < 0) {
        added.forEach(place);
      } else {
        fill();
      }
    },
    shift(n = 1) {
      for (const row of rows.splice(0, Math.max(0, n))) {
        built.get(row)?.tr.remove();
        details.get(row)?.remove();
        built.delete(row);
        details.delete(row);
      }
    },
    toggle
  };
  handle.add(...initial);
  return handle;
}

/**
 * Renders rows as a sortable table.
 */
export function renderTable<T>(
  columns: IColumn<T>[],
  rows: T[],
  options: ITableOptions<T> = {}
): HTMLTableElement {
  return createTable(columns, rows, options).node;
}
