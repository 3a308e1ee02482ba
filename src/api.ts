/**
 * The server extension's REST and WebSocket API (docs/server-api.md): the one place that talks
 * HTTP and WebSocket. `FlightService` gathers what the sidebar's model calls.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  ICommandDescriptor,
  ICommandsReply,
  IProcess,
  IRecord,
  ISession
} from './types';

/**
 * The answer of `GET flight/processes`.
 */
export interface IProcessList {
  processes: IProcess[];
  kernels: { kernel_id: string; pid: number; notebook: string | null }[];
}

/**
 * Calls `<base_url>flight/<path>` and returns its JSON; a 4xx/5xx throws with the server's message.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'flight', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = {};
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    const message =
      response.status === 404 && !data.message
        ? 'the jupyterlab_flight server extension is not enabled'
        : data.message || response.statusText;
    throw new ServerConnection.ResponseError(response, message);
  }
  return data as T;
}

/**
 * The Python processes on the server's machine.
 */
export function listProcesses(
  settings?: ServerConnection.ISettings
): Promise<IProcessList> {
  return requestAPI<IProcessList>('processes', {}, settings);
}

/**
 * The open sessions.
 */
export async function listSessions(
  settings?: ServerConnection.ISettings
): Promise<ISession[]> {
  const data = await requestAPI<{ sessions: ISession[] }>(
    'sessions',
    {},
    settings
  );
  return data.sessions;
}

/**
 * Attaches to a process (or returns its open session).
 */
export function attach(
  target: { pid: number } | { kernel_id: string },
  settings?: ServerConnection.ISettings
): Promise<ISession> {
  return requestAPI<ISession>(
    'sessions',
    { method: 'POST', body: JSON.stringify(target) },
    settings
  );
}

/**
 * Detaches: the agent leaves the target.
 */
export async function detach(
  sessionId: string,
  settings?: ServerConnection.ISettings
): Promise<IRecord[]> {
  const data = await requestAPI<{ records: IRecord[] }>(
    `sessions/${encodeURIComponent(sessionId)}`,
    { method: 'DELETE' },
    settings
  );
  return data.records ?? [];
}

/**
 * A whole job from any of its pids (`POST flight/jobs`): listed, or `command` run on every Python
 * process of it; one `job` record.
 */
export async function runJob(
  pid: number,
  command = '',
  settings?: ServerConnection.ISettings
): Promise<IRecord[]> {
  const data = await requestAPI<{ records: IRecord[] }>(
    'jobs',
    { method: 'POST', body: JSON.stringify({ pid, command }) },
    settings
  );
  return data.records ?? [];
}

/**
 * Tab completion of a command line's last word, target names included
 * (`POST flight/sessions/<id>/complete`).
 */
export function completeLine(
  sessionId: string,
  line: string,
  settings?: ServerConnection.ISettings
): Promise<ICompletion> {
  return requestAPI<ICompletion>(
    `sessions/${encodeURIComponent(sessionId)}/complete`,
    { method: 'POST', body: JSON.stringify({ line }) },
    settings
  );
}

/**
 * What completion found: the candidates for the last word, and the line completed as far as
 * they agree.
 */
export interface ICompletion {
  candidates: string[];
  text: string;
}

/**
 * The commands with their arguments and traits (`GET flight/commands`).
 */
export async function listCommands(
  settings?: ServerConnection.ISettings
): Promise<ICommandDescriptor[]> {
  const data = await requestAPI<ICommandsReply>('commands', {}, settings);
  if (!data || !Array.isArray(data.commands)) {
    throw new Error('GET flight/commands did not answer a list of commands');
  }
  return data.commands;
}

/**
 * The answer of `POST flight/streams/stop`.
 */
export interface IStopResult {
  /**
   * Whether the agent was told to stop the stream (false: it had already ended).
   */
  stopped: boolean;
  message: string;
}

/**
 * Stops a stream by its agent ids (the target's pid, the agent connection that runs it, the
 * request), whoever runs it: the Stop button of a notebook's live view goes through the server
 * because the kernel that runs the magic is busy and reads no message.
 */
export function stopStream(
  pid: number,
  connection: number,
  request: number,
  settings?: ServerConnection.ISettings
): Promise<IStopResult> {
  return requestAPI<IStopResult>(
    'streams/stop',
    { method: 'POST', body: JSON.stringify({ pid, connection, request }) },
    settings
  );
}

/**
 * The WebSocket URL of a session's stream, with the token as JupyterLab's own sockets carry it.
 */
export function streamUrl(
  sessionId: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  let url = URLExt.join(
    settings.wsUrl,
    'flight',
    'sessions',
    encodeURIComponent(sessionId),
    'stream'
  );
  if (settings.appendToken && settings.token) {
    url += `?token=${encodeURIComponent(settings.token)}`;
  }
  return url;
}

/**
 * Callbacks of a running command.
 */
export interface IStreamHandlers {
  onRecord: (record: IRecord) => void;
  /**
   * ``more``: console code that opens a block (it waits for more lines).
   */
  onEnd: (interrupted: boolean, more?: boolean) => void;
  onError: (message: string) => void;
}

/**
 * A session's WebSocket stream: one command at a time.
 */
export class CommandStream {
  constructor(
    readonly sessionId: string,
    private _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /**
   * Whether a command is running.
   */
  get running(): boolean {
    return this._handlers !== null;
  }

  /**
   * Runs a command line; records arrive through the handlers.
   */
  async run(command: string, handlers: IStreamHandlers): Promise<void> {
    return this._send({ command }, handlers);
  }

  /**
   * Runs console code in this stream's console namespace (kept while the stream lives).
   */
  async runConsole(
    code: string,
    handlers: IStreamHandlers,
    check = false
  ): Promise<void> {
    return this._send(
      check ? { console: code, check: true } : { console: code },
      handlers
    );
  }

  private async _send(
    message: { [key: string]: string | boolean },
    handlers: IStreamHandlers
  ): Promise<void> {
    if (this._handlers) {
      throw new Error('a command is already running');
    }
    const socket = await this._connect();
    this._handlers = handlers;
    socket.send(JSON.stringify(message));
  }

  /**
   * Interrupts the running command in the target.
   */
  stop(): void {
    if (this._socket && this._socket.readyState === WebSocket.OPEN) {
      this._socket.send(JSON.stringify({ stop: true }));
    }
  }

  /**
   * Closes the stream (what a streaming command installed is removed by the server).
   */
  dispose(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    this._finish(h => h.onError('the stream was closed'));
  }

  private _finish(call: (h: IStreamHandlers) => void): void {
    const handlers = this._handlers;
    this._handlers = null;
    if (handlers) {
      call(handlers);
    }
  }

  private _connect(): Promise<WebSocket> {
    if (this._socket && this._socket.readyState === WebSocket.OPEN) {
      return Promise.resolve(this._socket);
    }
    const WS = this._settings.WebSocket ?? WebSocket;
    const socket: WebSocket = new WS(streamUrl(this.sessionId, this._settings));
    this._socket = socket;
    socket.onmessage = event => {
      let message: any;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (message.record) {
        this._handlers?.onRecord(message.record);
      } else if (message.end) {
        this._finish(h => h.onEnd(!!message.interrupted, !!message.more));
      } else if (message.error) {
        this._finish(h => h.onError(String(message.error)));
      }
    };
    socket.onclose = () => {
      if (this._socket === socket) {
        this._socket = null;
      }
      this._finish(h => h.onError('the connection to the server was closed'));
    };
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(socket);
      socket.onerror = () => reject(new Error('cannot open the stream'));
    });
  }

  private _socket: WebSocket | null = null;
  private _handlers: IStreamHandlers | null = null;
}

/**
 * A session's command stream, as the model uses it.
 */
export interface ICommandStream {
  readonly running: boolean;
  run(command: string, handlers: IStreamHandlers): Promise<void>;
  runConsole?(
    code: string,
    handlers: IStreamHandlers,
    check?: boolean
  ): Promise<void>;
  stop(): void;
  dispose(): void;
}

/**
 * What the sidebar's model asks of the server.
 */
export interface IFlightService {
  listProcesses(): Promise<IProcessList>;
  listSessions(): Promise<ISession[]>;
  attach(target: { pid: number } | { kernel_id: string }): Promise<ISession>;
  detach(sessionId: string): Promise<IRecord[]>;
  listCommands(): Promise<ICommandDescriptor[]>;
  /**
   * Opens a session's command stream.
   */
  openStream(sessionId: string): ICommandStream;
  /**
   * A whole job from any of its pids: listed, or a command run on all of it (src/sidebar/jobs.ts).
   */
  runJob?(pid: number, command?: string): Promise<IRecord[]>;
  /**
   * Tab completion with the target's names (modules, classes, functions, fields).
   */
  complete?(sessionId: string, line: string): Promise<ICompletion>;
}

/**
 * The server extension's API with one server's settings (JupyterLab's
 * `app.serviceManager.serverSettings`).
 */
export class FlightService implements IFlightService {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  listProcesses(): Promise<IProcessList> {
    return listProcesses(this.serverSettings);
  }

  listSessions(): Promise<ISession[]> {
    return listSessions(this.serverSettings);
  }

  attach(target: { pid: number } | { kernel_id: string }): Promise<ISession> {
    return attach(target, this.serverSettings);
  }

  detach(sessionId: string): Promise<IRecord[]> {
    return detach(sessionId, this.serverSettings);
  }

  listCommands(): Promise<ICommandDescriptor[]> {
    return listCommands(this.serverSettings);
  }

  runJob(pid: number, command = ''): Promise<IRecord[]> {
    return runJob(pid, command, this.serverSettings);
  }

  complete(sessionId: string, line: string): Promise<ICompletion> {
    return completeLine(sessionId, line, this.serverSettings);
  }

  openStream(sessionId: string): ICommandStream {
    return new CommandStream(sessionId, this.serverSettings);
  }
}
