/**
 * The sidebar's model and panels against a service that answers as the server does (no server).
 */
import { Widget } from '@lumino/widgets';
import {
  ICommandStream,
  IFlightService,
  IProcessList,
  IStreamHandlers
} from '../api';
import { FlightModel, IResultEntry } from '../model';
import { FlightPanel } from '../sidebar/index';
import { ResultView } from '../sidebar/resultview';
import { ICommandsReply, IRecord, ISession } from '../types';
import reply from './commands.json';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

// jsdom lays nothing out
Element.prototype.scrollIntoView = function () {
  // nothing to scroll
};

class FakeStream implements ICommandStream {
  constructor(readonly sessionId: string) {}
  lines: string[] = [];
  stops = 0;
  handlers: IStreamHandlers | null = null;
  get running(): boolean {
    return this.handlers !== null;
  }
  run(command: string, handlers: IStreamHandlers): Promise<void> {
    this.lines.push(command);
    this.handlers = handlers;
    return Promise.resolve();
  }
  stop(): void {
    this.stops++;
  }
  /**
   * The console: a line ending with ':' opens a block; code runs at once, answering its text.
   */
  code: string[] = [];
  runConsole(
    code: string,
    handlers: IStreamHandlers,
    check = false
  ): Promise<void> {
    const open = code.split('\n').pop()!.endsWith(':') || /:\n.*\S$/.test(code);
    if (check) {
      handlers.onEnd(false, open);
    } else {
      this.code.push(code);
      handlers.onRecord({ v: 1, kind: 'message', text: `ran ${code}` });
      handlers.onEnd(false, false);
    }
    return Promise.resolve();
  }
  dispose(): void {
    this.handlers = null;
  }
  /**
   * Sends records, then the end.
   */
  answer(records: IRecord[], interrupted = false): void {
    const handlers = this.handlers!;
    records.forEach(r => handlers.onRecord(r));
    this.handlers = null;
    handlers.onEnd(interrupted);
  }
}

class FakeService implements IFlightService {
  processes: IProcessList = {
    kernels: [],
    processes: [
      { pid: 300, cmdline: 'python train.py', python: '3.11', user: 'me' },
      {
        pid: 20,
        cmdline: 'python -m ipykernel_launcher',
        kernel: true,
        notebook: 'analysis.ipynb'
      }
    ]
  };
  sessions: ISession[] = [];
  streams: FakeStream[] = [];
  detached: string[] = [];
  listProcesses(): Promise<IProcessList> {
    return Promise.resolve(this.processes);
  }
  listSessions(): Promise<ISession[]> {
    return Promise.resolve(this.sessions.slice());
  }
  attach(target: { pid: number } | { kernel_id: string }): Promise<ISession> {
    const pid = (target as { pid: number }).pid;
    const session = { id: `s${pid}`, pid, python: '3.11.7', connected: true };
    this.sessions.push(session);
    return Promise.resolve(session);
  }
  detach(sessionId: string): Promise<IRecord[]> {
    this.detached.push(sessionId);
    this.sessions = this.sessions.filter(s => s.id !== sessionId);
    return Promise.resolve([{ v: 1, kind: 'message', text: 'detached' }]);
  }
  listCommands() {
    return Promise.resolve((reply as ICommandsReply).commands);
  }
  completed: string[] = [];
  complete(sessionId: string, line: string) {
    this.completed.push(line);
    const names = line.endsWith('js') ? ['json'] : ['dump', 'dumps'];
    const text =
      names.length === 1 ? line.replace(/\S+$/, names[0]) + ' ' : line;
    return Promise.resolve({ candidates: names, text });
  }
  openStream(sessionId: string): ICommandStream {
    const stream = new FakeStream(sessionId);
    this.streams.push(stream);
    return stream;
  }
}

function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

function q<T extends HTMLElement = HTMLElement>(
  root: Element,
  selector: string
): T {
  const node = root.querySelector(selector);
  expect(node).not.toBeNull();
  return node as T;
}

function key(input: HTMLInputElement, name: string): void {
  input.dispatchEvent(new KeyboardEvent('keydown', { key: name }));
}

describe('FlightModel', () => {
  it('lists, attaches, selects, runs and detaches', async () => {
    const service = new FakeService();
    const model = new FlightModel({ service, storage: null });
    const seen: string[] = [];
    model.processesChanged.connect(() => seen.push('processes'));
    model.sessionsChanged.connect(() => seen.push('sessions'));
    model.selectedChanged.connect((_, s) => seen.push(`selected ${s?.id}`));
    model.runningChanged.connect((_, r) => seen.push(`running ${r?.line}`));
    await model.refresh();
    expect(model.processes.map(p => p.pid)).toEqual([300, 20]);
    expect(model.commands.loaded).toBe(true);
    expect(await model.attach(300)).not.toBeNull();
    expect(model.session?.pid).toBe(300);
    expect(model.status).toEqual({ text: '', error: false });

    // the line goes as typed: the server fills in the defaults (no -n added here)
    const running = model.run('watch __main__ f');
    await settle();
    expect(model.running?.streams).toBe(true);
    const stream = service.streams[0];
    expect(stream.lines).toEqual(['watch __main__ f']);
    stream.answer([
      { v: 1, kind: 'message', text: 'watching' },
      { v: 1, kind: 'end', reason: 'limit' }
    ]);
    await running;
    expect(model.running).toBeNull();
    expect(model.results.map(e => e.command)).toEqual(['watch __main__ f']);
    expect(model.results[0].records.map(r => r.kind)).toEqual([
      'message',
      'end'
    ]);
    expect(model.history.entries).toEqual(['watch __main__ f']);
    expect(seen).toContain('selected s300');
    expect(seen).toContain('running watch __main__ f');

    // detach, as the descriptor says (ends_session), goes through the server's session API
    await model.run('detach');
    expect(service.detached).toEqual(['s300']);
    expect(model.session).toBeNull();
    expect(model.results[1].records).toEqual([
      { v: 1, kind: 'message', text: 'detached' }
    ]);
    model.dispose();
  });

  it('says when nothing is attached, and keeps at most maxRecords', async () => {
    const service = new FakeService();
    const model = new FlightModel({ service, storage: null });
    await model.run('stack');
    expect(model.status.error).toBe(true);
    expect(model.status.text).toContain('attach to a process first');
    model.settings = { refreshInterval: 0, maxRecords: 3 };
    await model.attach(300);
    for (const line of ['stack', 'help']) {
      const done = model.run(line);
      await settle();
      service.streams[0].answer([
        { v: 1, kind: 'message', text: `${line} 1` },
        { v: 1, kind: 'message', text: `${line} 2` }
      ]);
      await done;
    }
    expect(model.recordCount).toBe(3);
    expect(model.results.map(e => e.records.length)).toEqual([1, 2]);
    model.clearResults();
    expect(model.results).toEqual([]);
    model.dispose();
  });

  it('keeps only the newest live snapshot of a stream', async () => {
    const service = new FakeService();
    const model = new FlightModel({ service, storage: null });
    await model.attach(300);
    const done = model.run('perf -d 2');
    await settle();
    const snapshot = (samples: number, live: boolean): IRecord => ({
      v: 1,
      kind: 'profile',
      live,
      samples,
      root: { function: 'all', total: samples, self: samples, children: [] }
    });
    service.streams[0].answer([
      { v: 1, kind: 'message', text: 'sampling' },
      snapshot(100, true),
      snapshot(200, true),
      snapshot(300, false),
      { v: 1, kind: 'end', reason: 'duration' }
    ]);
    await done;
    const records = model.results[0].records;
    expect(records.map(r => r.kind)).toEqual(['message', 'profile', 'end']);
    expect((records[1] as any).samples).toBe(300);
    expect(model.recordCount).toBe(3);
    model.dispose();
  });

  it('reports an interrupted command and an error', async () => {
    const service = new FakeService();
    const model = new FlightModel({ service, storage: null });
    await model.attach(300);
    const done = model.run('console -c "while True: pass"');
    await settle();
    expect(model.running?.streams).toBe(false);
    model.stop();
    expect(service.streams[0].stops).toBe(1);
    service.streams[0].answer([], true);
    await done;
    const again = model.run('stack');
    await settle();
    service.streams[0].handlers!.onError(
      'the connection to the server was closed'
    );
    await again;
    const kinds = model.results.map(e => e.records.map(r => r.kind));
    expect(kinds).toEqual([['message'], ['error']]);
    model.dispose();
  });
});

describe('FlightPanel', () => {
  async function shown(): Promise<{
    panel: FlightPanel;
    service: FakeService;
  }> {
    const service = new FakeService();
    const model = new FlightModel({ service, storage: null });
    model.settings = { refreshInterval: 0, maxRecords: 500 };
    const panel = new FlightPanel({ model });
    Widget.attach(panel, document.body);
    // the sidebar lists when it is shown
    panel.hide();
    panel.show();
    await settle();
    return { panel, service };
  }

  afterEach(() => {
    document.body.textContent = '';
  });

  it('keeps the structure the browser tests and styles rely on', async () => {
    const { panel } = await shown();
    const node = panel.node;
    expect(node.id).toBe('jupyterlab-flight-sidebar');
    expect(node.classList.contains('jp-flight-panel')).toBe(true);
    const children = Array.from(node.children).map(c =>
      Array.from(c.classList)
        .filter(n => n.startsWith('jp-'))
        .join(' ')
    );
    expect(children).toEqual([
      'jp-flight-header',
      'jp-flight-section jp-flight-processes-section',
      'jp-flight-section jp-flight-sessions-section',
      'jp-flight-section jp-flight-command-section',
      'jp-flight-results'
    ]);
    q(node, '.jp-flight-processes-section .jp-flight-row .jp-flight-search');
    q(node, '.jp-flight-processes-section .jp-flight-process-list');
    q(node, '.jp-flight-sessions-section .jp-flight-session-list');
    q(
      node,
      '.jp-flight-command-section .jp-flight-row .jp-flight-command-input'
    );
    q(
      node,
      '.jp-flight-command-section .jp-flight-command-buttons .jp-flight-stop'
    );
    q(node, '.jp-flight-command-section .jp-flight-status[role="status"]');
    expect(q(node, '.jp-flight-results').getAttribute('data-mime-type')).toBe(
      'application/vnd.jupyterlab-flight.v1+json'
    );
    expect(node.querySelectorAll('.jp-flight-process').length).toBe(2);
    expect(q(node, '.jp-flight-target').textContent).toBe(
      'Attach to a process to run commands'
    );
    expect(q<HTMLInputElement>(node, '.jp-flight-command-input').disabled).toBe(
      true
    );
    panel.dispose();
  });

  it('shows one profile per perf run, the last snapshot of a stopped one so named', async () => {
    const { panel, service } = await shown();
    const model = panel.model;
    await model.attach(300);
    const snapshot = (samples: number): IRecord => ({
      v: 1,
      kind: 'profile',
      live: true,
      samples,
      root: { function: 'all', total: samples, self: samples, children: [] }
    });
    const done = model.run('perf');
    await settle();
    const stream = service.streams[0];
    stream.handlers!.onRecord(snapshot(100));
    stream.handlers!.onRecord(snapshot(200));
    const entry = panel.node.querySelector(
      '.jp-flight-results .jp-flight-entry'
    )!;
    expect(entry.querySelectorAll('.jp-flight-profile')).toHaveLength(1);
    expect(entry.querySelector('.jp-flight-badge-live')).not.toBeNull();
    expect(entry.textContent).toContain('200 samples');
    stream.answer([], true);
    await done;
    expect(entry.querySelector('.jp-flight-badge-live')).toBeNull();
    expect(entry.querySelector('.jp-flight-badge-snapshot')).not.toBeNull();
    panel.dispose();
  });

  it('opens a result in the main area, which keeps growing while it runs', async () => {
    const service = new FakeService();
    const model = new FlightModel({ service, storage: null });
    model.settings = { refreshInterval: 0, maxRecords: 500 };
    const opened: IResultEntry[] = [];
    const panel = new FlightPanel({ model, openInMain: e => opened.push(e) });
    Widget.attach(panel, document.body);
    await model.attach(300);
    const done = model.run('stack');
    await settle();
    const stream = service.streams[0];
    stream.handlers!.onRecord({ v: 1, kind: 'message', text: 'first' });
    q<HTMLButtonElement>(
      panel.node,
      '.jp-flight-entry .jp-flight-open-main'
    ).click();
    expect(opened).toHaveLength(1);
    const view = new ResultView(model, opened[0]);
    Widget.attach(view, document.body);
    expect(view.title.label).toBe('Flight: stack');
    expect(view.node.textContent).toContain('first');
    stream.answer([{ v: 1, kind: 'message', text: 'second' }]);
    await done;
    expect(view.node.textContent).toContain('second');
    view.dispose();
    panel.dispose();
  });

  it('turns the command box into a console for console without -c', async () => {
    const { panel, service } = await shown();
    await panel.model.attach(300);
    await panel.model.loadCommands();
    const node = panel.node;
    const input = q<HTMLInputElement>(node, '.jp-flight-command-input');
    const enter = async (text: string) => {
      input.value = text;
      key(input, 'Enter');
      await settle();
      await settle();
    };
    await enter('console');
    const section = q(node, '.jp-flight-command-section');
    expect(section.classList.contains('jp-mod-console')).toBe(true);
    expect(input.placeholder).toContain('>>>');
    await enter('x = 1');
    const stream = service.streams[0];
    expect(stream.code).toEqual(['x = 1']);
    await enter('for i in range(2):');
    expect(input.placeholder).toContain('...');
    expect(q(node, '.jp-flight-hint').textContent).toContain(
      '>>> for i in range(2):'
    );
    await enter('    x += i');
    await enter('');
    expect(stream.code).toEqual(['x = 1', 'for i in range(2):\n    x += i\n']);
    expect(node.querySelector('.jp-flight-results')!.textContent).toContain(
      'ran x = 1'
    );
    await enter('exit()');
    expect(section.classList.contains('jp-mod-console')).toBe(false);
    expect(stream.lines).toEqual([]); // nothing went as a command line
    panel.dispose();
  });

  it('attaches from a row, completes, runs, stops and detaches', async () => {
    const { panel, service } = await shown();
    const node = panel.node;
    const search = q<HTMLInputElement>(node, '.jp-flight-search');
    search.value = 'notebook-nope';
    search.dispatchEvent(new Event('input'));
    expect(q(node, '.jp-flight-process-list').textContent).toBe(
      'no process matches'
    );
    search.value = 'train';
    search.dispatchEvent(new Event('input'));
    expect(node.querySelectorAll('.jp-flight-process').length).toBe(1);

    const row = q(node, '.jp-flight-process[data-pid="300"]');
    q<HTMLButtonElement>(row, 'button').click();
    await settle();
    const session = q(node, '.jp-flight-session[data-pid="300"]');
    expect(session.classList.contains('jp-mod-selected')).toBe(true);
    expect(
      q(node, '.jp-flight-process[data-pid="300"] button').textContent
    ).toBe('Detach');
    expect(q(node, '.jp-flight-target').textContent).toBe(
      'Commands run in pid 300'
    );
    const input = q<HTMLInputElement>(node, '.jp-flight-command-input');
    expect(document.activeElement).toBe(input);

    // Tab completes from the descriptors: the name, then an option flag
    input.value = 'sta';
    key(input, 'Tab');
    expect(input.value).toBe('stack ');
    input.value = 't';
    key(input, 'Tab');
    expect(q(node, '.jp-flight-hint').textContent).toBe('trace  tt');
    input.value = 'watch json dump --fil';
    key(input, 'Tab');
    expect(input.value).toBe('watch json dump --filter ');
    // and the target's names through the server: modules, classes, functions, fields
    input.value = 'watch js';
    key(input, 'Tab');
    await settle();
    expect(service.completed).toEqual(['watch js']);
    expect(input.value).toBe('watch json ');
    input.value = 'watch json d';
    key(input, 'Tab');
    await settle();
    expect(input.value).toBe('watch json d');
    expect(q(node, '.jp-flight-hint').textContent).toBe('dump  dumps');

    input.value = 'watch json dump';
    key(input, 'Enter');
    await settle();
    const stop = q<HTMLButtonElement>(node, '.jp-flight-stop');
    expect(stop.disabled).toBe(false);
    expect(node.classList.contains('jp-mod-running')).toBe(true);
    stop.click();
    const stream = service.streams[0];
    expect(stream.lines).toEqual(['watch json dump']);
    expect(stream.stops).toBe(1);
    stream.answer(
      [
        { v: 1, kind: 'message', text: 'watching json.dump' },
        { v: 1, kind: 'end', reason: 'stopped' }
      ],
      true
    );
    await settle();
    expect(stop.disabled).toBe(true);
    expect(node.classList.contains('jp-mod-running')).toBe(false);
    const entry = q(node, '.jp-flight-results .jp-flight-entry');
    expect(q(entry, '.jp-flight-command code').textContent).toBe(
      'watch json dump'
    );
    expect(entry.textContent).toContain('· pid 300');
    expect(entry.querySelector('.jp-flight-kind-end')).not.toBeNull();
    expect(entry.textContent).toContain('interrupted');

    // history
    key(input, 'ArrowUp');
    expect(input.value).toBe('watch json dump');
    input.value = '';

    // Clear empties the results
    const clear = Array.from(node.querySelectorAll('button')).find(
      b => b.textContent === 'Clear'
    )!;
    clear.click();
    expect(q(node, '.jp-flight-results').children.length).toBe(0);

    q<HTMLButtonElement>(session, 'button').click();
    await settle();
    expect(service.detached).toEqual(['s300']);
    expect(node.querySelector('.jp-flight-session')).toBeNull();
    expect(q(node, '.jp-flight-session-list').textContent).toContain(
      'not attached'
    );
    expect(
      q(node, '.jp-flight-results .jp-flight-entry').textContent
    ).toContain('detached');
    panel.dispose();
  });
});
