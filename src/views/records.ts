/**
 * Views of the smaller record kinds: console, gc, module, help, message, error, processes,
 * sessions, value; and the fallback for kinds this version does not know.
 */
import { badge, el, formatBytes, str } from '../dom';
import {
  IConsoleRecord,
  IErrorRecord,
  IGcRecord,
  IHelpRecord,
  IMessageRecord,
  IModuleRecord,
  IProcess,
  IProcessesRecord,
  IRecord,
  ISessionRow,
  ISessionsRecord,
  IValueRecord
} from '../types';
import { renderTable } from './table';
import { renderValueTree } from './value';

/**
 * A `value` record (getglobal, vmtool -a getInstances).
 */
export function renderValue(record: IValueRecord): HTMLElement {
  const root = el('div', { className: 'jp-flight-value' });
  const head = el('div', { className: 'jp-flight-toolbar' }, [
    el('span', {
      className: 'jp-flight-title',
      text: str(record.target ?? record.command ?? 'value')
    }),
    record.type
      ? el('span', {
          className: 'jp-flight-value-type',
          text: str(record.type)
        })
      : null,
    record.expr && record.expr !== 'target' && record.expr !== 'instances'
      ? el('span', {
          className: 'jp-flight-muted',
          text: `-e ${str(record.expr)}`
        })
      : null,
    record.count !== undefined
      ? el('span', {
          className: 'jp-flight-muted',
          text: `${record.count} instances found${
            record.shown !== undefined && record.shown !== record.count
              ? `, ${record.shown} shown`
              : ''
          }`
        })
      : null
  ]);
  root.appendChild(head);
  if (record.value !== undefined && record.value !== null) {
    root.appendChild(renderValueTree(record.value));
  }
  return root;
}

/**
 * A `console` record: stdout, stderr, the last value, the error with its traceback.
 */
export function renderConsole(record: IConsoleRecord): HTMLElement {
  const root = el('div', { className: 'jp-flight-console' });
  if (record.stdout) {
    root.appendChild(
      el('pre', {
        className: 'jp-flight-pre jp-flight-stdout',
        text: str(record.stdout)
      })
    );
  }
  if (record.stderr) {
    root.appendChild(
      el('pre', {
        className: 'jp-flight-pre jp-flight-stderr',
        text: str(record.stderr)
      })
    );
  }
  if (record.value !== undefined && record.value !== null) {
    root.appendChild(renderValueTree(record.value));
  }
  if (record.error) {
    const error = record.error;
    root.appendChild(
      el('div', { className: 'jp-flight-error' }, [
        el('span', {
          className: 'jp-flight-error-title',
          text: `${str(error.type)}: ${str(error.message)}`
        }),
        error.traceback
          ? el('pre', {
              className: 'jp-flight-pre jp-flight-traceback',
              text: str(error.traceback)
            })
          : null
      ])
    );
  }
  if (!root.childNodes.length) {
    root.appendChild(
      el('span', { className: 'jp-flight-muted', text: '(no output)' })
    );
  }
  return root;
}

/**
 * A `gc` record (vmtool -a forceGc).
 */
export function renderGc(record: IGcRecord): HTMLElement {
  const before = Array.isArray(record.counts_before)
    ? record.counts_before.join(', ')
    : str(record.counts_before);
  return el('div', { className: 'jp-flight-gc' }, [
    el('span', { className: 'jp-flight-title', text: 'Garbage collection: ' }),
    el('span', {
      text: `${str(record.collected)} unreachable objects collected, ${str(record.uncollectable)} uncollectable (gc.garbage)`
    }),
    before
      ? el('span', {
          className: 'jp-flight-muted',
          text: ` · generation counts before: ${before}`
        })
      : null
  ]);
}

/**
 * A `module` record.
 */
export function renderModule(record: IModuleRecord): HTMLElement {
  const modules: string[] = Array.isArray(record.modules) ? record.modules : [];
  const root = el('div', { className: 'jp-flight-module' }, [
    el('div', {}, [
      el('span', { className: 'jp-flight-muted', text: 'file ' }),
      el('code', { text: str(record.file) })
    ])
  ]);
  if (!modules.length) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: 'is not imported as any module'
      })
    );
  } else {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `imported as ${modules.length === 1 ? 'module' : 'modules'}:`
      })
    );
    root.appendChild(
      el(
        'ul',
        { className: 'jp-flight-list' },
        modules.map(m => el('li', {}, [el('code', { text: str(m) })]))
      )
    );
  }
  return root;
}

/**
 * A `help` record.
 */
export function renderHelp(record: IHelpRecord): HTMLElement {
  return el('pre', {
    className: 'jp-flight-pre jp-flight-help',
    text: str(record.text)
  });
}

/**
 * A `message` record.
 */
export function renderMessage(record: IMessageRecord): HTMLElement {
  // a stream's first message: in the browser, the Stop button ends it
  const hint = record.stop_hint ? `; Stop ${record.stop_hint}` : '';
  return el('div', {
    className: 'jp-flight-message',
    text: str(record.text) + hint
  });
}

/**
 * An `error` record.
 */
export function renderError(record: IErrorRecord): HTMLElement {
  const root = el('div', { className: 'jp-flight-error' }, [
    el('span', {
      className: 'jp-flight-error-title',
      text: `error: ${str(record.message)}`
    })
  ]);
  if (record.exception) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `${str(record.exception.type)}: ${str(record.exception.message)}`
      })
    );
  }
  return root;
}

/**
 * The badges of a process: kernel (of this server or another), this process, the notebook.
 */
export function processBadges(p: IProcess): HTMLElement {
  const cell = el('span', { className: 'jp-flight-process-badges' });
  if (p.kernel) {
    cell.appendChild(
      badge(
        p.this_server ? 'kernel of this server' : 'kernel',
        p.this_server ? 'this-server' : 'kernel',
        p.kernel_id ? `kernel ${p.kernel_id}` : undefined
      )
    );
  }
  if (p.self) {
    cell.appendChild(badge('this process', 'main'));
  }
  if (p.notebook) {
    cell.appendChild(
      el('span', {
        className: 'jp-flight-notebook',
        text: str(p.notebook),
        title: str(p.notebook)
      })
    );
  }
  return cell;
}

/**
 * The label of a process in a table: its badges, then its command line.
 */
export function processLabel(p: IProcess): HTMLElement {
  const cell = el('span', { className: 'jp-flight-process-label' }, [
    processBadges(p)
  ]);
  cell.appendChild(
    el('span', {
      className: 'jp-flight-cmdline',
      text: str(p.cmdline),
      title: str(p.cmdline)
    })
  );
  return cell;
}

/**
 * A `processes` record (%flight ps): a sortable table.
 */
export function renderProcesses(record: IProcessesRecord): HTMLElement {
  const processes: IProcess[] = Array.isArray(record.processes)
    ? record.processes
    : [];
  return renderTable<IProcess>(
    [
      { title: 'pid', cell: p => str(p.pid), key: p => p.pid, numeric: true },
      { title: 'user', cell: p => str(p.user) },
      { title: 'python', cell: p => str(p.python) },
      {
        title: 'CPU %',
        cell: p => str(p.cpu_percent),
        key: p => p.cpu_percent,
        numeric: true
      },
      {
        title: 'memory',
        cell: p => formatBytes(p.rss_bytes),
        key: p => p.rss_bytes,
        numeric: true
      },
      {
        title: 'process',
        cell: p => processLabel(p),
        key: p => `${p.notebook ?? ''} ${p.cmdline ?? ''}`
      }
    ],
    processes,
    { className: 'jp-flight-processes' }
  );
}

/**
 * A `sessions` record (%flight sessions).
 */
export function renderSessions(record: ISessionsRecord): HTMLElement {
  const sessions: ISessionRow[] = Array.isArray(record.sessions)
    ? record.sessions
    : [];
  if (!sessions.length) {
    return el('div', {
      className: 'jp-flight-muted',
      text: 'no sessions: attach with %flight attach <pid>'
    });
  }
  return renderTable<ISessionRow>(
    [
      {
        title: '',
        cell: s => (s.current ? '*' : ''),
        key: s => (s.current ? 0 : 1)
      },
      { title: 'pid', cell: s => str(s.pid), key: s => s.pid, numeric: true },
      { title: 'connected', cell: s => (s.connected ? 'yes' : 'no') },
      { title: 'python', cell: s => str(s.python) },
      { title: 'executable', cell: s => str(s.executable) }
    ],
    sessions,
    {
      className: 'jp-flight-sessions',
      rowClass: s => (s.current ? 'jp-flight-current' : '')
    }
  );
}

/**
 * A record of a kind this version does not know: its JSON, as text.
 */
export function renderUnknown(record: IRecord): HTMLElement {
  return el('div', { className: 'jp-flight-unknown' }, [
    el('div', {
      className: 'jp-flight-muted',
      text: `record of kind "${str(record.kind)}" (not known to this version of the extension)`
    }),
    el('pre', {
      className: 'jp-flight-pre',
      text: JSON.stringify(record, null, 2)
    })
  ]);
}
