/**
 * The sidebar's open sessions: one row each, the selected one marked; a click selects.
 */
import { Widget } from '@lumino/widgets';
import { el } from '../dom';
import { FlightModel } from '../model';

/**
 * The sessions section.
 */
export class SessionsPanel extends Widget {
  constructor(readonly model: FlightModel) {
    super();
    this.addClass('jp-flight-section');
    this.addClass('jp-flight-sessions-section');
    this._list = el('div', { className: 'jp-flight-session-list' });
    this.node.appendChild(
      el('div', { className: 'jp-flight-section-title', text: 'Sessions' })
    );
    this.node.appendChild(this._list);
    model.sessionsChanged.connect(this._render, this);
    model.selectedChanged.connect(this._render, this);
    // a session row names the notebook of its process
    model.processesChanged.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const { model } = this;
    this._list.textContent = '';
    if (!model.sessions.length) {
      this._list.appendChild(
        el('div', {
          className: 'jp-flight-muted jp-flight-empty',
          text: 'not attached: pick a process above and press Attach'
        })
      );
    }
    for (const s of model.sessions) {
      const detach = el('button', {
        className: 'jp-flight-button jp-mod-styled',
        text: 'Detach'
      });
      detach.addEventListener('click', event => {
        event.stopPropagation();
        void model.detach(s.id);
      });
      const process = model.processes.find(p => p.pid === s.pid);
      const row = el(
        'div',
        {
          className:
            'jp-flight-session' +
            (s.id === model.selectedId ? ' jp-mod-selected' : ''),
          attrs: {
            'data-session': s.id,
            'data-pid': String(s.pid),
            role: 'option'
          }
        },
        [
          el('span', { className: 'jp-flight-pid', text: `pid ${s.pid}` }),
          el('span', {
            className: 'jp-flight-muted jp-flight-session-detail',
            text: [
              s.connected === false ? 'disconnected' : '',
              s.python ? `py${s.python}` : '',
              process?.notebook ?? s.executable ?? ''
            ]
              .filter(Boolean)
              .join(' · ')
          }),
          detach
        ]
      );
      row.addEventListener('click', () => model.select(s.id));
      this._list.appendChild(row);
    }
  }

  private _list: HTMLElement;
}
