/**
 * An `exceptions` record (diagnose exception): the census of the exceptions raised over an
 * interval, one row per group (type, message pattern, raising function), sortable; a row opens
 * to its example: the message, the thread and the stack down to the raise.
 *
 * Every text shown comes from the record through `textContent`.
 */
import { el, str } from '../dom';
import { IRecordBase } from '../types';
import { IColumn, renderTable } from './table';

declare module '../types' {
  // the exceptions kind joins the kinds of docs/schema.md (module augmentation)
  interface IRecordKinds {
    exceptions: IExceptionsRecord;
  }
}

export interface IExceptionFrame {
  function: string;
  file: string;
  line: number;
  module: string | null;
}

export interface IExceptionSite extends IExceptionFrame {
  count: number;
}

export interface IExceptionGroup {
  type: string;
  type_module: string | null;
  pattern: string;
  count: number;
  first: number;
  last: number;
  threads: { name: string; count: number }[];
  samples: string[];
  caught: IExceptionSite[];
  caught_elsewhere: number;
  not_caught: number;
  function: string;
  module: string | null;
  file: string;
  line: number;
  example?: {
    message: string;
    thread_name: string;
    time: number;
    stack: IExceptionFrame[];
  };
}

export interface IExceptionsRecord extends IRecordBase {
  kind: 'exceptions';
  mechanism: string;
  scope: string;
  method: string | null;
  tool_id: number | null;
  duration_s: number;
  reason: string;
  raised: number;
  groups: IExceptionGroup[];
  overflow: { type: string; count: number }[];
  fate_tracked: boolean;
}

function base(path: string): string {
  const parts = str(path).split('/');
  return parts[parts.length - 1];
}

function at(entry: IExceptionFrame): string {
  return `${str(entry.function)} (${base(entry.file)}:${entry.line})`;
}

export function renderExceptions(record: IExceptionsRecord): HTMLElement {
  const groups = Array.isArray(record.groups) ? record.groups : [];
  const seconds = Math.max(Number(record.duration_s) || 0, 1e-3);
  const how =
    record.mechanism === 'sys.monitoring'
      ? `sys.monitoring, process-wide, tool id ${record.tool_id}`
      : `escaping ${str(record.method)}`;
  const caught = (g: IExceptionGroup): string => {
    if (!record.fate_tracked) {
      return `escaped ${str(record.method)}`;
    }
    const parts = (Array.isArray(g.caught) ? g.caught : []).map(
      s => `${at(s)} ${s.count}`
    );
    if (g.caught_elsewhere) {
      parts.push(`elsewhere ${g.caught_elsewhere}`);
    }
    if (g.not_caught) {
      parts.push(`not in Python ${g.not_caught}`);
    }
    return parts.join(', ') || '-';
  };
  const columns: IColumn<IExceptionGroup>[] = [
    {
      title: 'count',
      cell: g => String(g.count),
      key: g => g.count,
      numeric: true
    },
    {
      title: 'per s',
      cell: g => (g.count / seconds).toFixed(1),
      key: g => g.count,
      numeric: true
    },
    { title: 'type', cell: g => str(g.type) },
    { title: 'message pattern', cell: g => str(g.pattern) },
    { title: 'raised in', cell: g => at(g) },
    {
      title: 'threads',
      cell: g =>
        (Array.isArray(g.threads) ? g.threads : [])
          .map(t => `${str(t.name)} ${t.count}`)
          .join(', ')
    },
    { title: 'caught', cell: caught }
  ];
  const detail = (g: IExceptionGroup): Node | null => {
    const example = g.example;
    if (!example || !Array.isArray(example.stack)) {
      return null;
    }
    return el('div', { className: 'jp-flight-exception-example' }, [
      el('div', {
        text: `${str(g.type)}: ${str(example.message)} (thread ${str(example.thread_name)})`
      }),
      el('pre', {
        text: example.stack
          .map(f => `  ${base(f.file)}:${f.line} in ${str(f.function)}`)
          .join('\n')
      }),
      Array.isArray(g.samples) && g.samples.length
        ? el('div', {
            className: 'jp-flight-muted',
            text: `messages: ${g.samples.map(m => str(m)).join(' | ')}`
          })
        : null
    ]);
  };
  const root = el('div', { className: 'jp-flight-exceptions' }, [
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', { className: 'jp-flight-title', text: 'exceptions' }),
      el('span', {
        className: 'jp-flight-muted',
        text: `${how}, ${seconds} s: ${record.raised} raised in ${groups.length} groups`
      })
    ]),
    groups.length
      ? renderTable(columns, groups, { detail })
      : el('div', { text: 'no exception over the interval' })
  ]);
  for (const over of Array.isArray(record.overflow) ? record.overflow : []) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `past the group limit: ${str(over.type)} x${over.count}`
      })
    );
  }
  return root;
}
