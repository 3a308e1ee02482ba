/**
 * A `reload` record: which function was recompiled from its file (or put back), and the diff
 * of what changed, coloured by sign.
 */
import { el, str } from '../dom';
import { IReloadRecord } from '../types';

const HEADS: { [action: string]: string } = {
  reloaded: 'reloaded from',
  unchanged: 'unchanged: the file has the code that runs,',
  undone: 'has its original code again,'
};

function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) {
    return 'jp-flight-diff-file';
  }
  if (line.startsWith('+')) {
    return 'jp-flight-diff-add';
  }
  if (line.startsWith('-')) {
    return 'jp-flight-diff-remove';
  }
  if (line.startsWith('@@')) {
    return 'jp-flight-diff-hunk';
  }
  return 'jp-flight-diff-context';
}

export function renderReload(record: IReloadRecord): HTMLElement {
  const diff: string[] = Array.isArray(record.diff) ? record.diff : [];
  const root = el('div', { className: 'jp-flight-reload' }, [
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', { className: 'jp-flight-title', text: 'reload' }),
      el('code', { text: str(record.target) }),
      el('span', {
        className: 'jp-flight-muted',
        text: `${HEADS[record.action] ?? str(record.action)} ${str(record.file)}:${str(record.line)}`
      })
    ])
  ]);
  if (diff.length) {
    root.appendChild(
      el(
        'pre',
        { className: 'jp-flight-diff' },
        diff.map(line =>
          el('div', { className: lineClass(line), text: line || ' ' })
        )
      )
    );
  }
  return root;
}
