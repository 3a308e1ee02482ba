/**
 * The live view of a streaming magic (src/live.ts), without a widget manager.
 */
import { ServerConnection } from '@jupyterlab/services';
import { INTERRUPT_HINT, LiveStream } from '../live';
import { appendRecord, trimRecords } from '../render';
import { IRecord } from '../types';
import {
  HOSTILE,
  monitorRecords,
  watchEnd,
  watchRecords,
  watchStart
} from './stream-samples';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

function watch(index: number): IRecord {
  return { ...watchRecords[0], index };
}

function watches(from: number, to: number): IRecord[] {
  const records: IRecord[] = [];
  for (let i = from; i <= to; i++) {
    records.push(watch(i));
  }
  return records;
}

function bodyRows(root: Element): HTMLTableRowElement[] {
  return Array.from(
    root.querySelectorAll('tbody tr:not(.jp-flight-detail-row)')
  ) as HTMLTableRowElement[];
}

function indexes(root: Element): string[] {
  return bodyRows(root).map(r => (r.cells[0].textContent ?? '').slice(1));
}

function q(root: Element, selector: string): HTMLElement {
  const node = root.querySelector(selector);
  expect(node).not.toBeNull();
  return node as HTMLElement;
}

function button(live: LiveStream, which: 'pause' | 'stop'): HTMLButtonElement {
  return q(live.node, `button.jp-flight-live-${which}`) as HTMLButtonElement;
}

function make(
  options: Partial<ConstructorParameters<typeof LiveStream>[0]> = {}
): LiveStream {
  const live = new LiveStream({
    command: 'watch __main__ compute -n 100',
    pid: 4242,
    onStop: () => Promise.resolve(),
    ...options
  });
  document.body.appendChild(live.node);
  return live;
}

/**
 * Lets the promise callbacks of a click run.
 */
function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

afterEach(() => {
  document.body.textContent = '';
});

describe('LiveStream', () => {
  it('shows the command, the pid and the streaming state', () => {
    const live = make({ command: `watch x ${HOSTILE}` });
    expect(live.node.classList.contains('jp-flight-live')).toBe(true);
    expect(live.node.dataset.status).toBe('running');
    expect(live.status).toBe('running');
    expect(q(live.node, '.jp-flight-live-command').textContent).toBe(
      `✈ watch x ${HOSTILE} · pid 4242`
    );
    // target-derived text never becomes markup
    expect(live.node.querySelector('img')).toBeNull();
    expect(q(live.node, '.jp-flight-live-status').textContent).toBe(
      'streaming…'
    );
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe('0 records');
    expect(button(live, 'pause').textContent).toBe('Pause');
    expect(button(live, 'pause').type).toBe('button');
    expect(button(live, 'pause').title).not.toBe('');
    expect(button(live, 'stop').textContent).toBe('Stop');
    expect(button(live, 'stop').title).not.toBe('');
    expect(button(live, 'pause').disabled).toBe(false);
    expect(button(live, 'stop').disabled).toBe(false);
    expect(q(live.node, '.jp-flight-live-held').hidden).toBe(true);
  });

  it('grows one table for consecutive watch records', () => {
    const live = make();
    live.add([watchStart, watch(1)]);
    live.add(watches(2, 3));
    live.add([watch(4)]);
    expect(live.node.querySelectorAll('table').length).toBe(1);
    expect(indexes(live.node)).toEqual(['1', '2', '3', '4']);
    expect(live.received).toBe(5);
    expect(live.shown).toBe(5);
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe('5 records');
    // records of another kind start a view of their own: one table and one chart of cycles
    live.add(monitorRecords.slice(0, 1));
    live.add(monitorRecords.slice(1));
    expect(live.node.querySelectorAll('table').length).toBe(2);
    expect(live.node.querySelectorAll('.jp-flight-chart').length).toBe(1);
    expect(live.shown).toBe(8);
  });

  it('holds records while paused and shows them all on resume', () => {
    const live = make();
    live.add(watches(1, 2));
    button(live, 'pause').click();
    expect(live.status).toBe('paused');
    expect(live.node.dataset.status).toBe('paused');
    expect(button(live, 'pause').textContent).toBe('Resume');
    expect(button(live, 'pause').getAttribute('aria-pressed')).toBe('true');
    const held = q(live.node, '.jp-flight-live-held');
    expect(held.hidden).toBe(false);
    expect(held.textContent).toContain('held');

    live.add([watch(3)]);
    live.add(watches(4, 6));
    expect(indexes(live.node)).toEqual(['1', '2']);
    expect(live.held).toBe(4);
    expect(held.textContent).toContain('4 new records held');
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe('6 records');

    button(live, 'pause').click();
    expect(live.status).toBe('running');
    expect(live.held).toBe(0);
    expect(held.hidden).toBe(true);
    expect(button(live, 'pause').textContent).toBe('Pause');
    expect(indexes(live.node)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(live.node.querySelectorAll('table').length).toBe(1);
    expect(live.shown).toBe(6);
    expect(live.received).toBe(6);
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe('6 records');
  });

  it('keeps at most maxRecords, dropping the oldest', () => {
    const live = make({ maxRecords: 3 });
    live.add([watchStart]);
    live.add(watches(1, 2));
    live.add(watches(3, 5));
    expect(live.shown).toBe(3);
    expect(live.node.querySelectorAll('.jp-flight-kind-message').length).toBe(
      0
    );
    expect(indexes(live.node)).toEqual(['3', '4', '5']);
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe(
      '6 records · showing the latest 3'
    );
    // held records beyond the limit would be dropped at once: the newest show on resume
    live.pause();
    live.add(watches(6, 10));
    expect(live.held).toBe(5);
    live.resume();
    expect(indexes(live.node)).toEqual(['8', '9', '10']);
    expect(live.shown).toBe(3);
    // a lower limit applies at once
    live.maxRecords = 1;
    expect(indexes(live.node)).toEqual(['10']);
  });

  it('shows the ended state and disables its buttons', () => {
    const live = make();
    live.add(watches(1, 2));
    live.pause();
    live.add([watch(3), watchEnd]);
    live.setStatus('ended', 'limit', 4);
    expect(live.status).toBe('ended');
    expect(live.node.dataset.status).toBe('ended');
    expect(q(live.node, '.jp-flight-live-status').textContent).toBe(
      'ended: limit'
    );
    expect(button(live, 'pause').disabled).toBe(true);
    expect(button(live, 'stop').disabled).toBe(true);
    // what was held shows: Resume can no longer be pressed
    expect(live.held).toBe(0);
    expect(indexes(live.node)).toEqual(['1', '2', '3']);
    expect(live.node.querySelectorAll('.jp-flight-kind-end').length).toBe(1);
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe('4 records');
    live.pause();
    expect(live.status).toBe('ended');
  });

  it('counts what the kernel sent when a view opens late', () => {
    const live = make({ maxRecords: 2 });
    live.setStatus('running', '', 10);
    live.add(watches(9, 10));
    expect(q(live.node, '.jp-flight-live-count').textContent).toBe(
      '10 records · showing the latest 2'
    );
  });

  it('calls onStop and says stopping until the stream ends', async () => {
    const onStop = jest.fn(() => Promise.resolve());
    const live = make({ onStop });
    button(live, 'stop').click();
    await settle();
    expect(onStop).toHaveBeenCalledTimes(1);
    expect(q(live.node, '.jp-flight-live-status').textContent).toBe(
      'stopping…'
    );
    expect(button(live, 'stop').disabled).toBe(true);
    live.setStatus('ended', 'stopped', 0);
    expect(q(live.node, '.jp-flight-live-status').textContent).toBe(
      'ended: stopped'
    );
  });

  it('shows why it cannot stop, and how to stop anyway', async () => {
    const response = new Response('', { status: 404 });
    const onStop = jest.fn(() =>
      Promise.reject(
        new ServerConnection.ResponseError(response, 'no agent in pid 4242')
      )
    );
    const live = make({ onStop });
    button(live, 'stop').click();
    await settle();
    expect(onStop).toHaveBeenCalledTimes(1);
    const note = q(live.node, '.jp-flight-live-note');
    expect(note.hidden).toBe(false);
    expect(note.classList.contains('jp-flight-live-error')).toBe(true);
    expect(note.textContent).toContain('no agent in pid 4242');
    expect(note.textContent).toContain(INTERRUPT_HINT);
    expect(INTERRUPT_HINT).toBe('interrupt the kernel (■) to stop it');
    // still running: another try is possible
    expect(live.status).toBe('running');
    expect(q(live.node, '.jp-flight-live-status').textContent).toBe(
      'streaming…'
    );
    expect(button(live, 'stop').disabled).toBe(false);
    // once ended, the advice is gone
    live.setStatus('ended', 'interrupted', 0);
    expect(note.hidden).toBe(true);
  });

  it('shows the message of a stop that found nothing to stop', async () => {
    const live = make({
      onStop: () => Promise.resolve('the stream has already ended')
    });
    await live.stop();
    const note = q(live.node, '.jp-flight-live-note');
    expect(note.textContent).toBe('the stream has already ended');
    expect(note.classList.contains('jp-flight-live-error')).toBe(false);
  });

  it('does nothing once disposed', () => {
    const live = make();
    live.dispose();
    expect(live.isDisposed).toBe(true);
    expect(live.node.isConnected).toBe(false);
    live.add([watch(1)]);
    live.setStatus('ended', 'stopped', 1);
    expect(live.received).toBe(0);
  });
});

describe('trimRecords', () => {
  it('drops the oldest records, and entries left empty', () => {
    // entries as the sidebar has them: one per command
    const container = document.createElement('div');
    const [first, second] = [0, 1].map(() =>
      container.appendChild(document.createElement('div'))
    );
    appendRecord(first, watchStart);
    appendRecord(first, watch(1));
    appendRecord(first, watch(2));
    appendRecord(second, watch(3));
    expect(trimRecords(container, 4, 3)).toBe(3);
    expect(first.querySelector('.jp-flight-kind-message')).toBeNull();
    expect(indexes(first)).toEqual(['1', '2']);
    expect(trimRecords(container, 3, 1)).toBe(1);
    expect(first.isConnected).toBe(false);
    expect(Array.from(container.children)).toEqual([second]);
    expect(indexes(second)).toEqual(['3']);
  });
});
