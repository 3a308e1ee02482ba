/**
 * The Flight sidebar's state, apart from its DOM: the processes and sessions as last listed, the
 * selected session, the running command, the results, the command descriptors and the history.
 * Each part has a signal; the sidebar's panels (src/sidebar/) read them. Everything the model
 * asks of the server goes through an `IFlightService` (src/api.ts).
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import {
  FlightService,
  ICommandStream,
  ICompletion,
  IFlightService
} from './api';
import { CommandHistory, CommandList, endsSession } from './commands';
import { supersede } from './snapshots';
import { IProcess, IRecord, ISession } from './types';

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
}

/**
 * The defaults of the settings.
 */
export const DEFAULT_SETTINGS: IFlightSettings = {
  refreshInterval: 5,
  maxRecords: 500
};

/**
 * The results of one command line: its records as they came (the oldest may have been dropped).
 */
export interface IResultEntry {
  readonly id: number;
  readonly command: string;
  readonly pid: number;
  readonly records: readonly IRecord[];
}

/**
 * A change of the results: a new entry (with the records it came with), a record added to an
 * entry, or everything cleared.
 */
export type ResultsChange =
  | { readonly type: 'entry'; readonly entry: IResultEntry }
  | {
      readonly type: 'record';
      readonly entry: IResultEntry;
      readonly record: IRecord;
    }
  | { readonly type: 'clear' };

/**
 * The command running in a session.
 */
export interface IRunningCommand {
  readonly line: string;
  readonly session: ISession;
  /**
   * Whether it streams (records until its `end`), as its descriptor says.
   */
  readonly streams: boolean;
  readonly entry: IResultEntry;
}

/**
 * The status line: what happened last, and whether it failed.
 */
export interface IFlightStatus {
  readonly text: string;
  readonly error: boolean;
}

const HISTORY_KEY = 'jupyterlab-flight:history';

function loadHistory(storage: Storage | null): string[] {
  try {
    const value = JSON.parse(storage?.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

function saveHistory(storage: Storage | null, entries: string[]): void {
  try {
    storage?.setItem(HISTORY_KEY, JSON.stringify(entries));
  } catch {
    // storage may be unavailable: history then lasts for the page only
  }
}

function defaultStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function message(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

interface IMutableEntry extends IResultEntry {
  records: IRecord[];
}

/**
 * The Flight sidebar's model.
 */
export class FlightModel implements IDisposable {
  constructor(options: FlightModel.IOptions = {}) {
    this.service = options.service ?? new FlightService();
    this.commands = options.commands ?? new CommandList();
    this._storage =
      options.storage === undefined ? defaultStorage() : options.storage;
    this.history = new CommandHistory(loadHistory(this._storage));
  }

  /**
   * What the model asks of the server.
   */
  readonly service: IFlightService;

  /**
   * The command descriptors (`GET flight/commands`).
   */
  readonly commands: CommandList;

  /**
   * The command lines run, for the command box's up and down.
   */
  readonly history: CommandHistory;

  /**
   * The settings in force.
   */
  get settings(): IFlightSettings {
    return this._settings;
  }

  set settings(value: IFlightSettings) {
    this._settings = { ...DEFAULT_SETTINGS, ...value };
    this._restartTimer();
    this._trim();
    this._settingsChanged.emit(this._settings);
  }

  /**
   * The processes as last listed.
   */
  get processes(): readonly IProcess[] {
    return this._processes;
  }

  /**
   * The open sessions as last listed.
   */
  get sessions(): readonly ISession[] {
    return this._sessions;
  }

  /**
   * The id of the selected session, if any.
   */
  get selectedId(): string | null {
    return this._selected;
  }

  /**
   * The selected session, if any.
   */
  get session(): ISession | null {
    return this._sessions.find(s => s.id === this._selected) ?? null;
  }

  /**
   * The command running, if any.
   */
  get running(): IRunningCommand | null {
    return this._running;
  }

  /**
   * Whether the lists are being fetched.
   */
  get refreshing(): boolean {
    return this._refreshing;
  }

  /**
   * The status line.
   */
  get status(): IFlightStatus {
    return this._status;
  }

  /**
   * The results, oldest first.
   */
  get results(): readonly IResultEntry[] {
    return this._results;
  }

  /**
   * How many records the results hold.
   */
  get recordCount(): number {
    return this._recordCount;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get processesChanged(): ISignal<this, readonly IProcess[]> {
    return this._processesChanged;
  }

  get sessionsChanged(): ISignal<this, readonly ISession[]> {
    return this._sessionsChanged;
  }

  get selectedChanged(): ISignal<this, ISession | null> {
    return this._selectedChanged;
  }

  get runningChanged(): ISignal<this, IRunningCommand | null> {
    return this._runningChanged;
  }

  get refreshingChanged(): ISignal<this, boolean> {
    return this._refreshingChanged;
  }

  get statusChanged(): ISignal<this, IFlightStatus> {
    return this._statusChanged;
  }

  get resultsChanged(): ISignal<this, ResultsChange> {
    return this._resultsChanged;
  }

  get settingsChanged(): ISignal<this, IFlightSettings> {
    return this._settingsChanged;
  }

  /**
   * Emitted when an attach succeeded, with the new session (selected by then).
   */
  get attached(): ISignal<this, ISession> {
    return this._attached;
  }

  /**
   * Fetches the command descriptors; a failure is logged and the next refresh tries again.
   */
  async loadCommands(): Promise<void> {
    if (this._loadingCommands) {
      return this._loadingCommands;
    }
    this._loadingCommands = (async () => {
      try {
        this.commands.set(await this.service.listCommands());
      } catch (reason) {
        console.warn(
          `jupyterlab-flight: cannot list the commands: ${message(reason)}`
        );
      } finally {
        this._loadingCommands = null;
      }
    })();
    return this._loadingCommands;
  }

  /**
   * Lists processes and sessions again.
   */
  async refresh(): Promise<void> {
    if (!this.commands.loaded) {
      void this.loadCommands();
    }
    this._setRefreshing(true);
    try {
      const [list, sessions] = await Promise.all([
        this.service.listProcesses(),
        this.service.listSessions()
      ]);
      if (this._isDisposed) {
        return;
      }
      this._processes = list.processes ?? [];
      this._sessions = sessions ?? [];
      const selected = this._selected;
      if (!this._sessions.some(s => s.id === this._selected)) {
        this._selected = this._sessions.length ? this._sessions[0].id : null;
      }
      this._processesChanged.emit(this._processes);
      this._sessionsChanged.emit(this._sessions);
      if (selected !== this._selected) {
        this._selectedChanged.emit(this.session);
      }
      this._setStatus('');
    } catch (reason) {
      this._setStatus(`cannot list processes: ${message(reason)}`, true);
    } finally {
      this._setRefreshing(false);
    }
  }

  /**
   * Selects a session (commands run there).
   */
  select(sessionId: string | null): void {
    if (sessionId === this._selected) {
      return;
    }
    this._selected = sessionId;
    this._selectedChanged.emit(this.session);
  }

  /**
   * Attaches to a process and selects its session.
   */
  async attach(pid: number): Promise<ISession | null> {
    this._setStatus(`attaching to ${pid}…`);
    try {
      const session = await this.service.attach({ pid });
      this._selected = session.id;
      this._setStatus(`attached to ${pid}`);
      await this.refresh();
      this._selectedChanged.emit(this.session);
      this._attached.emit(session);
      return session;
    } catch (reason) {
      this._setStatus(`cannot attach to ${pid}: ${message(reason)}`, true);
      return null;
    }
  }

  /**
   * Detaches from a session (the selected one by default).
   */
  async detach(sessionId: string | null = this._selected): Promise<void> {
    const session = this._sessions.find(s => s.id === sessionId);
    if (!sessionId || !session) {
      this._setStatus('no session to detach from', true);
      return;
    }
    this._streams.get(sessionId)?.dispose();
    this._streams.delete(sessionId);
    try {
      const records = await this.service.detach(sessionId);
      this._addEntry('detach', session.pid, records);
      this._setStatus(`detached from ${session.pid}`);
    } catch (reason) {
      this._setStatus(`cannot detach: ${message(reason)}`, true);
    }
    await this.refresh();
  }

  /**
   * Completes the last word of `line` from the selected session's target (modules, classes,
   * functions, fields, and what the descriptors know); null when there is nothing to ask.
   */
  async complete(line: string): Promise<ICompletion | null> {
    const session = this.session;
    if (!session || !this.service.complete) {
      return null;
    }
    try {
      return await this.service.complete(session.id, line);
    } catch {
      return null; // completion never gets in the way of typing
    }
  }

  /**
   * Runs a command on every process of the job of `pid` (no attach: `stack` is read from outside);
   * its `job` record goes to the results.
   */
  async runJob(pid: number, command = 'stack'): Promise<void> {
    if (!this.service.runJob) {
      this._setStatus('this server cannot run a command on a job', true);
      return;
    }
    this._setStatus(`${command} on the job of ${pid}…`);
    try {
      const records = await this.service.runJob(pid, command);
      this._addEntry(`job ${pid} ${command}`, pid, records);
      this._setStatus(`${command} on the job of ${pid}: done`);
    } catch (reason) {
      this._setStatus(
        `cannot run ${command} on the job of ${pid}: ${message(reason)}`,
        true
      );
    }
  }

  /**
   * Runs a command line in the selected session; its records go to the results as they come.
   * The server fills in every default the line leaves out.
   */
  async run(line: string): Promise<void> {
    const command = line.trim();
    if (!command) {
      return;
    }
    const session = this.session;
    if (!session) {
      this._setStatus(
        'attach to a process first (Attach in the list above)',
        true
      );
      return;
    }
    this.history.push(command);
    saveHistory(this._storage, this.history.entries);
    if (endsSession(this.commands.descriptors, command)) {
      // the server forgets the session too: that is what detaching here does
      await this.detach(session.id);
      return;
    }
    let stream = this._streams.get(session.id);
    if (!stream) {
      stream = this.service.openStream(session.id);
      this._streams.set(session.id, stream);
    }
    if (stream.running || this._running) {
      this._setStatus('a command is already running: stop it first', true);
      return;
    }
    const entry = this._addEntry(command, session.pid, []);
    this._setRunning({
      line: command,
      session,
      streams: this.commands.streams(command),
      entry
    });
    const add = (record: IRecord) => this._addRecord(entry, record);
    await new Promise<void>(resolve => {
      stream!
        .run(command, {
          onRecord: add,
          onEnd: interrupted => {
            if (interrupted) {
              add({
                v: 1,
                kind: 'message',
                text: 'interrupted: the command was stopped in the target'
              });
            }
            resolve();
          },
          onError: text => {
            add({ v: 1, kind: 'error', message: text });
            resolve();
          }
        })
        .catch(reason => {
          add({ v: 1, kind: 'error', message: message(reason) });
          resolve();
        });
    });
    this._setRunning(null);
  }

  /**
   * Runs console code typed in the sidebar's console (one namespace per session, kept while its
   * stream lives). `'more'`: the code opens a block and waits for more lines; nothing ran.
   */
  async runConsole(code: string): Promise<'more' | 'done'> {
    const session = this.session;
    if (!session) {
      this._setStatus(
        'attach to a process first (Attach in the list above)',
        true
      );
      return 'done';
    }
    let stream = this._streams.get(session.id);
    if (!stream) {
      stream = this.service.openStream(session.id);
      this._streams.set(session.id, stream);
    }
    if (!stream.runConsole) {
      this._setStatus('this server has no console for the sidebar', true);
      return 'done';
    }
    if (stream.running || this._running) {
      this._setStatus('a command is already running: stop it first', true);
      return 'done';
    }
    const runCode = stream.runConsole.bind(stream);
    // an open block (`for x in y:`) waits for more lines: the agent's compiler says so
    const more = await new Promise<boolean>(resolve => {
      runCode(
        code,
        {
          onRecord: () => undefined,
          onEnd: (_, open) => resolve(!!open),
          onError: () => resolve(false)
        },
        true
      ).catch(() => resolve(false));
    });
    if (more) {
      return 'more';
    }
    const line = `>>> ${code.split('\n').join('\n... ')}`;
    const entry = this._addEntry(line, session.pid, []);
    this._setRunning({ line, session, streams: false, entry });
    const add = (record: IRecord) => this._addRecord(entry, record);
    await new Promise<void>(resolve => {
      runCode(code, {
        onRecord: add,
        onEnd: interrupted => {
          if (interrupted) {
            add({
              v: 1,
              kind: 'message',
              text: 'interrupted: the code was stopped in the target'
            });
          }
          resolve();
        },
        onError: text => {
          add({ v: 1, kind: 'error', message: text });
          resolve();
        }
      }).catch(reason => {
        add({ v: 1, kind: 'error', message: message(reason) });
        resolve();
      });
    });
    this._setRunning(null);
    return 'done';
  }

  /**
   * Interrupts the running command.
   */
  stop(): void {
    const id = this._running?.session.id ?? this._selected;
    if (id) {
      this._streams.get(id)?.stop();
    }
  }

  /**
   * Clears the results.
   */
  clearResults(): void {
    this._results = [];
    this._recordCount = 0;
    this._resultsChanged.emit({ type: 'clear' });
  }

  /**
   * Refreshes now, then every `refreshInterval` seconds (while no command runs), until
   * `stopPolling` (the sidebar polls while it is visible).
   */
  startPolling(): void {
    this._polling = true;
    void this.refresh();
    this._restartTimer();
  }

  /**
   * Stops the refreshes of `startPolling`.
   */
  stopPolling(): void {
    this._polling = false;
    window.clearInterval(this._timer);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearInterval(this._timer);
    for (const stream of this._streams.values()) {
      stream.dispose();
    }
    this._streams.clear();
    Signal.clearData(this);
  }

  private _addEntry(
    command: string,
    pid: number,
    records: IRecord[]
  ): IResultEntry {
    const entry: IMutableEntry = {
      id: ++this._entryId,
      command,
      pid,
      records: records.slice()
    };
    this._results.push(entry);
    this._recordCount += records.length;
    this._resultsChanged.emit({ type: 'entry', entry });
    this._trim();
    return entry;
  }

  private _addRecord(entry: IResultEntry, record: IRecord): void {
    const mutable = entry as IMutableEntry;
    if (this._results.includes(mutable)) {
      // a live snapshot (a profile while sampling) is replaced by the next one
      if (!supersede(mutable.records, record)) {
        this._recordCount++;
      }
    }
    // the view shows it even after a clear: the command still runs
    this._resultsChanged.emit({ type: 'record', entry, record });
    this._trim();
  }

  /**
   * Drops the oldest records beyond `maxRecords`, and entries left without any (but the last),
   * as the results view does (`trimRecords`).
   */
  private _trim(): void {
    const max = Math.max(1, this._settings.maxRecords);
    while (this._recordCount > max) {
      const index = this._results.findIndex(e => e.records.length > 0);
      if (index < 0) {
        this._recordCount = 0;
        return;
      }
      const entry = this._results[index];
      entry.records.shift();
      this._recordCount--;
      if (!entry.records.length && index !== this._results.length - 1) {
        this._results.splice(index, 1);
      }
    }
  }

  private _setRunning(running: IRunningCommand | null): void {
    this._running = running;
    this._runningChanged.emit(running);
  }

  private _setRefreshing(refreshing: boolean): void {
    this._refreshing = refreshing;
    this._refreshingChanged.emit(refreshing);
  }

  private _setStatus(text: string, error = false): void {
    this._status = { text, error };
    this._statusChanged.emit(this._status);
  }

  private _restartTimer(): void {
    window.clearInterval(this._timer);
    const seconds = this._settings.refreshInterval;
    if (this._polling && seconds > 0) {
      this._timer = window.setInterval(() => {
        if (!this._running) {
          void this.refresh();
        }
      }, seconds * 1000);
    }
  }

  private _settings: IFlightSettings = { ...DEFAULT_SETTINGS };
  private _storage: Storage | null;
  private _processes: IProcess[] = [];
  private _sessions: ISession[] = [];
  private _selected: string | null = null;
  private _running: IRunningCommand | null = null;
  private _refreshing = false;
  private _status: IFlightStatus = { text: '', error: false };
  private _results: IMutableEntry[] = [];
  private _recordCount = 0;
  private _entryId = 0;
  private _streams = new Map<string, ICommandStream>();
  private _polling = false;
  private _timer = 0;
  private _loadingCommands: Promise<void> | null = null;
  private _isDisposed = false;
  private _processesChanged = new Signal<this, readonly IProcess[]>(this);
  private _sessionsChanged = new Signal<this, readonly ISession[]>(this);
  private _selectedChanged = new Signal<this, ISession | null>(this);
  private _runningChanged = new Signal<this, IRunningCommand | null>(this);
  private _refreshingChanged = new Signal<this, boolean>(this);
  private _statusChanged = new Signal<this, IFlightStatus>(this);
  private _resultsChanged = new Signal<this, ResultsChange>(this);
  private _settingsChanged = new Signal<this, IFlightSettings>(this);
  private _attached = new Signal<this, ISession>(this);
}

/**
 * The model's options.
 */
export namespace FlightModel {
  export interface IOptions {
    /**
     * What the model asks of the server (default: `FlightService` with the page's settings).
     */
    service?: IFlightService;
    /**
     * The command descriptors (default: a new, empty list; `loadCommands` fills it).
     */
    commands?: CommandList;
    /**
     * Where the history is kept (default: `window.localStorage`; null: nowhere).
     */
    storage?: Storage | null;
  }
}
