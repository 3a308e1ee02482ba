/**
 * A sortable table: click a column header to sort by it, again to reverse.
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
 * Renders rows as a sortable table.
 */
export function renderTable<T>(
  columns: IColumn<T>[],
  rows: T[],
  options: { className?: string; rowClass?: (row: T) => string } = {}
): HTMLTableElement {
  const table = el('table', {
    className: `jp-flight-table ${options.className ?? ''}`
  });
  const headRow = el('tr');
  table.appendChild(el('thead', {}, [headRow]));
  const body = el('tbody');
  table.appendChild(body);
  let sortColumn = -1;
  let descending = false;
  const fill = () => {
    let ordered = rows;
    if (sortColumn >= 0) {
      const column = columns[sortColumn];
      const key =
        column.key ??
        ((row: T) => {
          const c = column.cell(row);
          return typeof c === 'string' ? c : (c.textContent ?? '');
        });
      ordered = rows
        .map((row, i) => ({ row, i, k: key(row) }))
        .sort((a, b) => {
          const c = compare(a.k, b.k);
          return (descending ? -c : c) || a.i - b.i;
        })
        .map(x => x.row);
    }
    body.textContent = '';
    for (const row of ordered) {
      const tr = el('tr', {
        className: options.rowClass ? options.rowClass(row) : ''
      });
      columns.forEach(column => {
        const content = column.cell(row);
        const td = el('td', {
          className: column.numeric ? 'jp-flight-numeric' : ''
        });
        if (typeof content === 'string') {
          td.textContent = content;
        } else {
          td.appendChild(content);
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
  };
  columns.forEach((column, index) => {
    const th = el('th', {
      className: column.numeric ? 'jp-flight-numeric' : '',
      text: column.title,
      title: 'click to sort',
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
  fill();
  return table;
}
