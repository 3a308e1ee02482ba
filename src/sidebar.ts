/**
 * The Flight sidebar: Python processes, attach / detach, open sessions, a command box with
 * completion and history, and live results streamed over the session's WebSocket.
 */
import { Widget } from '@lumino/widgets';
import * as api from './api';
import { CommandHistory, completeCommand, withDefaultLimit } from './commands';
import { el, formatBytes, str } from './dom';
import { appendRecord, trimRecords } from './render';
import { IProcess, IRecord, ISession, MIME_TYPE } from './types';
import { processBadges } from './views/records';

const HISTORY_KEY = 'jupyterlab-flight:history';

/**
 * The sidebar's settings (schema/plugin.json).
 */
export interface IFlightSettings {
  /**
   * Seconds between refreshes of the process and session lists while the panel is visible; 0: never.
   */
  refreshInterval: number;
  /**
   * The most records kept in the output view; older ones are dropped.
   */
  maxRecords: number;
  /**
   * The default `-n` limit of streaming commands (watch, trace, tt).
   */
  defaultLimit: number;
}

/**
 * The defaults of the settings.
 */
export const DEFAULT_SETTINGS: IFlightSettings = {
  refreshInterval: 5,
  maxRecords: 500,
  defaultLimit: 100
};

function loadHistory(): string[] {
  try {
    const value = JSON.parse(window.localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

function saveHistory(entries: string[]): void {
  try {
    window.localStorage.setItem(HISTORY_KEY, JSON.stringify(entries));
  } catch {
    // storage may be unavailable: history then lasts for the page only
  }
}

/**
 * The Flight sidebar panel.
 */
export class FlightPanel extends Widget {
  constructor() {
    super();
    this.id = 'jupyterlab-flight-sidebar';
    this.addClass('jp-flight-panel');
    this.title.caption = 'Flight: live diagnostics of Python processes';
    this._history = new CommandHistory(loadHistory());
    this._build();
  }

  /**
   * The settings in force.
   */
  get settings(): IFlightSettings {
    return this._settings;
  }

  set settings(value: IFlightSettings) {
    this._settings = { ...DEFAULT_SETTINGS, ...value };
    this._restartTimer();
    this._trimOutput();
  }

  /**
   * The selected session, if any.
   */
  get session(): ISession | null {
    return this._sessions.find(s => s.id === this._selected) ?? null;
  }

  /**
   * The processes as last listed.
   */
  get processes(): IProcess[] {
    return this._processes.slice();
  }

  /**
   * Lists processes and sessions again.
   */
  async refresh(): Promise<void> {
    this._refreshButton.disabled = true;
    try {
      const [list, sessions] = await Promise.all([
        api.listProcesses(),
        api.listSessions()
      ]);
      this._processes = list.processes ?? [];
      this._sessions = sessions ?? [];
      if (!this._sessions.some(s => s.id === this._selected)) {
        this._selected = this._sessions.length ? this._sessions[0].id : null;
      }
      this._renderProcesses();
      this._renderSessions();
      this._status('');
    } catch (reason) {
      this._status(`cannot list processes: ${this._message(reason)}`, true);
    } finally {
      this._refreshButton.disabled = false;
    }
  }

  /**
   * Attaches to a process and selects its session.
   */
  async attach(pid: number): Promise<ISession | null> {
    this._status(`attaching to ${pid}…`);
    try {
      const session = await api.attach({ pid });
      this._selected = session.id;
      this._status(`attached to ${pid}`);
      await this.refresh();
      this._input.focus();
      return session;
    } catch (reason) {
      this._status(`cannot attach to ${pid}: ${this._message(reason)}`, true);
      return null;
    }
  }

  /**
   * Detaches from a session (the selected one by default).
   */
  async detach(sessionId: string | null = this._selected): Promise<void> {
    const session = this._sessions.find(s => s.id === sessionId);
    if (!sessionId || !session) {
      this._status('no session to detach from', true);
      return;
    }
    this._streams.get(sessionId)?.dispose();
    this._streams.delete(sessionId);
    try {
      const records = await api.detach(sessionId);
      this._appendEntry(`detach`, session.pid, records);
      this._status(`detached from ${session.pid}`);
    } catch (reason) {
      this._status(`cannot detach: ${this._message(reason)}`, true);
    }
    await this.refresh();
  }

  /**
   * Runs a command line in the selected session; records stream into the output view.
   */
  async run(line: string): Promise<void> {
    const typed = line.trim();
    if (!typed) {
      return;
    }
    const command = withDefaultLimit(typed, this._settings.defaultLimit);
    const session = this.session;
    if (!session) {
      this._status(
        'attach to a process first (Attach in the list above)',
        true
      );
      return;
    }
    this._history.push(typed);
    saveHistory(this._history.entries);
    if (command === 'detach') {
      await this.detach(session.id);
      return;
    }
    let stream = this._streams.get(session.id);
    if (!stream) {
      stream = new api.CommandStream(session.id);
      this._streams.set(session.id, stream);
    }
    if (stream.running) {
      this._status('a command is already running: stop it first', true);
      return;
    }
    const entry = this._appendEntry(command, session.pid, []);
    this._setRunning(true);
    const done = new Promise<void>(resolve => {
      stream!
        .run(command, {
          onRecord: record => {
            this._appendRecord(entry, record);
          },
          onEnd: interrupted => {
            if (interrupted) {
              this._appendRecord(entry, {
                v: 1,
                kind: 'message',
                text: 'interrupted: the command was stopped in the target'
              });
            }
            resolve();
          },
          onError: message => {
            this._appendRecord(entry, { v: 1, kind: 'error', message });
            resolve();
          }
        })
        .catch(reason => {
          this._appendRecord(entry, {
            v: 1,
            kind: 'error',
            message: this._message(reason)
          });
          resolve();
        });
    });
    await done;
    this._setRunning(false);
  }

  /**
   * Interrupts the running command.
   */
  stop(): void {
    const id = this._selected;
    if (id) {
      this._streams.get(id)?.stop();
    }
  }

  /**
   * Focuses the command box.
   */
  focusCommand(): void {
    this._input.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._timer);
    for (const stream of this._streams.values()) {
      stream.dispose();
    }
    this._streams.clear();
    super.dispose();
  }

  protected onAfterShow(): void {
    void this.refresh();
    this._restartTimer();
  }

  protected onAfterHide(): void {
    window.clearInterval(this._timer);
  }

  private _build(): void {
    this._search = el('input', {
      className: 'jp-flight-search jp-mod-styled',
      attrs: {
        type: 'search',
        placeholder: 'Search pid, command line, notebook',
        'aria-label': 'Search processes'
      }
    }) as HTMLInputElement;
    this._search.addEventListener('input', () => this._renderProcesses());
    this._refreshButton = el('button', {
      className: 'jp-flight-button jp-mod-styled',
      text: 'Refresh',
      title: 'List the Python processes again'
    }) as HTMLButtonElement;
    this._refreshButton.addEventListener('click', () => void this.refresh());
    this._processList = el('div', { className: 'jp-flight-process-list' });
    this._sessionList = el('div', { className: 'jp-flight-session-list' });
    this._statusNode = el('div', {
      className: 'jp-flight-status',
      attrs: { role: 'status' }
    });

    this._input = el('input', {
      className: 'jp-flight-command-input jp-mod-styled',
      attrs: {
        type: 'text',
        placeholder: 'stack, help… (Tab, ↑)',
        'aria-label': 'Command',
        autocomplete: 'off',
        spellcheck: 'false'
      }
    }) as HTMLInputElement;
    this._hint = el('div', { className: 'jp-flight-hint jp-flight-muted' });
    this._input.addEventListener('keydown', event => this._onKey(event));
    this._runButton = el('button', {
      className: 'jp-flight-button jp-mod-styled jp-mod-accept',
      text: 'Run'
    }) as HTMLButtonElement;
    this._runButton.addEventListener('click', () => this._submit());
    this._stopButton = el('button', {
      className: 'jp-flight-button jp-flight-stop jp-mod-styled',
      text: 'Stop',
      title: 'Interrupt the running command in the target'
    }) as HTMLButtonElement;
    this._stopButton.disabled = true;
    this._stopButton.addEventListener('click', () => this.stop());
    const clear = el('button', {
      className: 'jp-flight-button jp-mod-styled',
      text: 'Clear',
      title: 'Clear the results'
    });
    clear.addEventListener('click', () => {
      this._output.textContent = '';
      this._recordCount = 0;
    });
    this._target = el('div', { className: 'jp-flight-target jp-flight-muted' });
    this._output = el('div', {
      className: 'jp-flight-results',
      attrs: { 'data-mime-type': MIME_TYPE }
    });

    this.node.appendChild(
      el('div', { className: 'jp-flight-header' }, [
        el('span', { className: 'jp-flight-header-title', text: 'Flight' }),
        el('span', {
          className: 'jp-flight-muted',
          text: 'live diagnostics of Python processes'
        })
      ])
    );
    this.node.appendChild(
      el(
        'div',
        { className: 'jp-flight-section jp-flight-processes-section' },
        [
          el('div', {
            className: 'jp-flight-section-title',
            text: 'Python processes'
          }),
          el('div', { className: 'jp-flight-row' }, [
            this._search,
            this._refreshButton
          ]),
          this._processList
        ]
      )
    );
    this.node.appendChild(
      el('div', { className: 'jp-flight-section jp-flight-sessions-section' }, [
        el('div', { className: 'jp-flight-section-title', text: 'Sessions' }),
        this._sessionList
      ])
    );
    this.node.appendChild(
      el('div', { className: 'jp-flight-section jp-flight-command-section' }, [
        this._target,
        el('div', { className: 'jp-flight-row' }, [this._input]),
        this._hint,
        el('div', { className: 'jp-flight-row jp-flight-command-buttons' }, [
          this._runButton,
          this._stopButton,
          clear
        ]),
        this._statusNode
      ])
    );
    this.node.appendChild(this._output);
    this._renderSessions();
  }

  private _onKey(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      this._submit();
    } else if (event.key === 'Tab' && !event.shiftKey) {
      event.preventDefault();
      const { text, candidates } = completeCommand(this._input.value);
      this._input.value = text;
      this._hint.textContent =
        candidates.length > 1 ? candidates.join('  ') : '';
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      this._input.value = this._history.previous(this._input.value);
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      this._input.value = this._history.next();
    } else if (event.key === 'Escape') {
      this._hint.textContent = '';
    }
  }

  private _submit(): void {
    const line = this._input.value;
    this._input.value = '';
    this._hint.textContent = '';
    void this.run(line);
  }

  private _renderProcesses(): void {
    const query = this._search.value.trim().toLowerCase();
    const attached = new Map(this._sessions.map(s => [s.pid, s]));
    const rows = this._processes.filter(p => {
      if (!query) {
        return true;
      }
      const text = `${p.pid} ${p.cmdline ?? ''} ${p.notebook ?? ''} ${p.user ?? ''} ${p.kernel_id ?? ''}`;
      return text.toLowerCase().includes(query);
    });
    this._processList.textContent = '';
    if (!rows.length) {
      this._processList.appendChild(
        el('div', {
          className: 'jp-flight-muted jp-flight-empty',
          text: this._processes.length
            ? 'no process matches'
            : 'no Python process found'
        })
      );
      return;
    }
    for (const p of rows) {
      const session = attached.get(p.pid);
      const button = el('button', {
        className:
          'jp-flight-button jp-mod-styled' + (session ? '' : ' jp-mod-accept'),
        text: session ? 'Detach' : 'Attach',
        title: session ? `Detach from ${p.pid}` : `Attach to ${p.pid}`
      });
      button.addEventListener('click', event => {
        event.stopPropagation();
        void (session ? this.detach(session.id) : this.attach(p.pid));
      });
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
            text: str(p.cmdline),
            title: str(p.cmdline)
          })
        ]
      );
      if (session) {
        row.addEventListener('click', () => {
          this._selected = session.id;
          this._renderSessions();
        });
      }
      this._processList.appendChild(row);
    }
  }

  private _renderSessions(): void {
    this._sessionList.textContent = '';
    if (!this._sessions.length) {
      this._sessionList.appendChild(
        el('div', {
          className: 'jp-flight-muted jp-flight-empty',
          text: 'not attached: pick a process above and press Attach'
        })
      );
    }
    for (const s of this._sessions) {
      const selected = s.id === this._selected;
      const detach = el('button', {
        className: 'jp-flight-button jp-mod-styled',
        text: 'Detach'
      });
      detach.addEventListener('click', event => {
        event.stopPropagation();
        void this.detach(s.id);
      });
      const process = this._processes.find(p => p.pid === s.pid);
      const row = el(
        'div',
        {
          className: 'jp-flight-session' + (selected ? ' jp-mod-selected' : ''),
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
      row.addEventListener('click', () => {
        this._selected = s.id;
        this._renderSessions();
      });
      this._sessionList.appendChild(row);
    }
    const session = this.session;
    this._target.textContent = session
      ? `Commands run in pid ${session.pid}`
      : 'Attach to a process to run commands';
    this._input.disabled = !session;
    this._runButton.disabled = !session || this._running;
  }

  private _appendEntry(
    command: string,
    pid: number,
    records: IRecord[]
  ): HTMLElement {
    const entry = el('div', { className: 'jp-flight-entry' }, [
      el('div', { className: 'jp-flight-command' }, [
        el('span', { className: 'jp-flight-prompt', text: '✈ ' }),
        el('code', { text: command }),
        el('span', { className: 'jp-flight-muted', text: ` · pid ${pid}` })
      ])
    ]);
    this._output.appendChild(entry);
    for (const record of records) {
      this._appendRecord(entry, record);
    }
    entry.scrollIntoView({ block: 'nearest' });
    return entry;
  }

  private _appendRecord(entry: HTMLElement, record: IRecord): void {
    // consecutive watch / tt / monitor records grow one table (and chart)
    appendRecord(entry, record);
    this._recordCount++;
    this._trimOutput();
  }

  private _trimOutput(): void {
    this._recordCount = trimRecords(
      this._output,
      this._recordCount,
      this._settings.maxRecords
    );
  }

  private _setRunning(running: boolean): void {
    this._running = running;
    this._stopButton.disabled = !running;
    this._runButton.disabled = running || !this.session;
    this.node.classList.toggle('jp-mod-running', running);
  }

  private _restartTimer(): void {
    window.clearInterval(this._timer);
    const seconds = this._settings.refreshInterval;
    if (seconds > 0 && this.isVisible) {
      this._timer = window.setInterval(() => {
        if (this.isVisible && !this._running) {
          void this.refresh();
        }
      }, seconds * 1000);
    }
  }

  private _status(text: string, error = false): void {
    this._statusNode.textContent = text;
    this._statusNode.classList.toggle('jp-flight-status-error', error);
  }

  private _message(reason: unknown): string {
    return reason instanceof Error ? reason.message : String(reason);
  }

  private _settings: IFlightSettings = { ...DEFAULT_SETTINGS };
  private _history: CommandHistory;
  private _processes: IProcess[] = [];
  private _sessions: ISession[] = [];
  private _selected: string | null = null;
  private _streams = new Map<string, api.CommandStream>();
  private _running = false;
  private _recordCount = 0;
  private _timer = 0;
  private _search!: HTMLInputElement;
  private _refreshButton!: HTMLButtonElement;
  private _processList!: HTMLElement;
  private _sessionList!: HTMLElement;
  private _statusNode!: HTMLElement;
  private _input!: HTMLInputElement;
  private _hint!: HTMLElement;
  private _runButton!: HTMLButtonElement;
  private _stopButton!: HTMLButtonElement;
  private _target!: HTMLElement;
  private _output!: HTMLElement;
}
