/**
 * The sidebar's list of Python processes: a search box, Refresh, and a row per process with
 * Attach (or Detach once attached).
 */
import { Widget } from '@lumino/widgets';
import { el, formatBytes, str } from '../dom';
import { FlightModel } from '../model';
import { IProcess, ISession } from '../types';
import { processBadges } from '../views/records';
import { commandLabel } from './cmdline';
import { orderProcesses } from './order';
import { decorateJobRow } from './jobs';

/**
 * The processes section.
 */
export class ProcessesPanel extends Widget {
  constructor(readonly model: FlightModel) {
    super();
    this.addClass('jp-flight-section');
    this.addClass('jp-flight-processes-section');
    this._search = el('input', {
      className: 'jp-flight-search jp-mod-styled',
      attrs: {
        type: 'search',
        placeholder: 'Search pid, command line, notebook',
        'aria-label': 'Search processes'
      }
    }) as HTMLInputElement;
    this._search.addEventListener('input', () => this._render());
    this._refreshButton = el('button', {
      className: 'jp-flight-button jp-mod-styled',
      text: 'Refresh',
      title: 'List the Python processes again'
    }) as HTMLButtonElement;
    this._refreshButton.addEventListener('click', () => void model.refresh());
    this._list = el('div', { className: 'jp-flight-process-list' });
    this.node.appendChild(
      el('div', {
        className: 'jp-flight-section-title',
        text: 'Python processes'
      })
    );
    this.node.appendChild(
      el('div', { className: 'jp-flight-row' }, [
        this._search,
        this._refreshButton
      ])
    );
    this.node.appendChild(this._list);
    model.processesChanged.connect(this._render, this);
    model.sessionsChanged.connect(this._render, this);
    model.refreshingChanged.connect((_, refreshing) => {
      this._refreshButton.disabled = refreshing;
    }, this);
  }

  private _render(): void {
    const processes = this.model.processes;
    const query = this._search.value.trim().toLowerCase();
    const attached = new Map(this.model.sessions.map(s => [s.pid, s]));
    const rows = orderProcesses(processes, new Set(attached.keys())).filter(
      p => {
        if (!query) {
          return true;
        }
        const text = `${p.pid} ${p.cmdline ?? ''} ${p.notebook ?? ''} ${p.user ?? ''} ${p.kernel_id ?? ''}`;
        return text.toLowerCase().includes(query);
      }
    );
    this._list.textContent = '';
    if (!rows.length) {
      this._list.appendChild(
        el('div', {
          className: 'jp-flight-muted jp-flight-empty',
          text: processes.length
            ? 'no process matches'
            : 'no Python process found'
        })
      );
      return;
    }
    for (const p of rows) {
      this._list.appendChild(this._row(p, attached.get(p.pid)));
    }
  }

  private _row(p: IProcess, session: ISession | undefined): HTMLElement {
    const button = el('button', {
      className:
        'jp-flight-button jp-mod-styled' + (session ? '' : ' jp-mod-accept'),
      text: session ? 'Detach' : 'Attach',
      title: session ? `Detach from ${p.pid}` : `Attach to ${p.pid}`
    });
    button.addEventListener('click', event => {
      event.stopPropagation();
      void (session ? this.model.detach(session.id) : this.model.attach(p.pid));
    });
    const label = commandLabel(p.cmdline);
    const meta = [
      p.python ? `Python ${p.python}` : '',
      p.cpu_percent !== undefined && p.cpu_percent !== null
        ? `${p.cpu_percent}% CPU`
        : '',
      formatBytes(p.rss_bytes),
      str(p.user)
    ]
      .filter(Boolean)
      .join(' · ');
    const row = el(
      'div',
      {
        className:
          'jp-flight-process' +
          (session ? ' jp-flight-attached' : '') +
          (p.this_server ? ' jp-flight-this-server' : ''),
        attrs: { 'data-pid': String(p.pid) }
      },
      [
        el('div', { className: 'jp-flight-process-head' }, [
          el('span', { className: 'jp-flight-pid', text: String(p.pid) }),
          processBadges(p),
          button
        ]),
        el('div', {
          className: 'jp-flight-muted jp-flight-process-meta',
          text: meta
        }),
        el('div', {
          className: 'jp-flight-cmdline',
          text: label.program,
          title: str(p.cmdline)
        }),
        label.interpreter
          ? el('div', {
              className: 'jp-flight-muted jp-flight-interpreter',
              // cut at its start (rtl), read left to right: the marks keep '/' where it is
              text: `\u200e${label.interpreter}\u200e`,
              title: str(p.cmdline)
            })
          : null
      ]
    );
    if (session) {
      row.addEventListener('click', () => this.model.select(session.id));
    }
    decorateJobRow(row, p, pid => void this.model.runJob(pid));
    return row;
  }

  private _search: HTMLInputElement;
  private _refreshButton: HTMLButtonElement;
  private _list: HTMLElement;
}
