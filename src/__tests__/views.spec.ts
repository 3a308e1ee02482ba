/**
 * The record views, rendered from sample records without a server.
 */
import { completeCommand, CommandHistory } from '../commands';
import { rendererFactory } from '../mime';
import { renderPayload, renderRecord } from '../render';
import { ICommandDescriptor, ICommandsReply, MIME_TYPE } from '../types';
import { CHUNK, renderValueTree } from '../views/value';
import {
  consoleErrorRecord,
  consoleRecord,
  otherRecords,
  payload,
  processesRecord,
  stackRecord,
  valueRecord
} from './samples';
import reply from './commands.json';

function texts(root: Element, selector: string): string[] {
  return Array.from(root.querySelectorAll(selector)).map(
    n => n.textContent ?? ''
  );
}

describe('stack view', () => {
  it('shows threads as collapsible groups, the GIL holder and native frames', () => {
    const node = renderRecord(stackRecord);
    const threads = node.querySelectorAll('details.jp-flight-thread');
    expect(threads.length).toBe(2);
    expect((threads[0] as HTMLDetailsElement).open).toBe(true);
    expect(threads[0].classList.contains('jp-flight-thread-gil')).toBe(true);
    expect(threads[1].classList.contains('jp-flight-thread-gil')).toBe(false);
    expect(texts(threads[0], '.jp-flight-badge-gil')).toEqual(['GIL']);
    expect(threads[1].querySelector('.jp-flight-badge-gil')).toBeNull();
    const native = threads[0].querySelectorAll('.jp-flight-frame-native');
    expect(native.length).toBe(1);
    expect(native[0].textContent).toContain('pthread_cond_wait');
    expect(native[0].textContent).toContain('libc.so.6');
    expect(threads[0].querySelectorAll('.jp-flight-frame-python').length).toBe(
      2
    );
    expect(texts(threads[0], '.jp-flight-frame-where')[0]).toBe(
      '/srv/app.py:40'
    );
    // the source line the terminal shows under a frame
    expect(texts(threads[0], '.jp-flight-frame-code')).toEqual([
      'serve_forever()'
    ]);
  });

  it('puts target strings in as text, never as HTML', () => {
    const node = renderRecord(stackRecord);
    expect(node.querySelector('img')).toBeNull();
    expect(texts(node, '.jp-flight-thread-name')[1]).toBe(
      'worker-<img src=x onerror=alert(1)>'
    );
  });

  it('filters by thread name and by frame text', () => {
    const node = renderRecord(stackRecord);
    const filter = node.querySelector(
      'input.jp-flight-filter'
    ) as HTMLInputElement;
    const threads = Array.from(
      node.querySelectorAll('details.jp-flight-thread')
    ) as HTMLElement[];
    filter.value = 'worker';
    filter.dispatchEvent(new Event('input'));
    expect(threads.map(t => t.hidden)).toEqual([true, false]);
    filter.value = 'numeric.py';
    filter.dispatchEvent(new Event('input'));
    expect(threads.map(t => t.hidden)).toEqual([true, false]);
    expect(texts(node, '.jp-flight-match')).toEqual([
      'compute/srv/numeric.py:99'
    ]);
    filter.value = 'PTHREAD';
    filter.dispatchEvent(new Event('input'));
    expect(threads.map(t => t.hidden)).toEqual([false, true]);
    filter.value = '';
    filter.dispatchEvent(new Event('input'));
    expect(threads.map(t => t.hidden)).toEqual([false, false]);
    expect(node.querySelectorAll('.jp-flight-match').length).toBe(0);
  });

  it('renders 200 threads', () => {
    const threads = Array.from({ length: 200 }, (_, i) => ({
      name: `t${i}`,
      native_id: i,
      gil: null,
      frames: Array.from({ length: 20 }, (_, j) => ({
        function: `f${j}`,
        file: '/x.py',
        line: j
      }))
    }));
    const node = renderRecord({
      v: 1,
      kind: 'stack',
      pid: 1,
      source: 'agent',
      threads
    });
    expect(node.querySelectorAll('.jp-flight-thread').length).toBe(200);
    expect(node.querySelectorAll('.jp-flight-frame').length).toBe(4000);
  });
});

describe('value tree', () => {
  it('shows types, keys, gaps and cut notes', () => {
    const node = renderRecord(valueRecord);
    expect(node.querySelector('.jp-flight-title')!.textContent).toBe(
      '__main__.CONFIG'
    );
    const root = node.querySelector('.jp-flight-value-tree')!;
    // the root is open, its children closed: the list of sizes is not built yet
    expect(texts(root, '.jp-flight-value-key')).toEqual([
      "'name'",
      "'sizes'",
      "'server'"
    ]);
    expect(root.querySelector('.jp-flight-value-gap')).toBeNull();
    expect(root.textContent).toContain("'demo'");
    expect(root.textContent).toContain('Parts of this value were cut');
    const rows = Array.from(
      root.querySelectorAll('.jp-flight-value-expandable')
    ) as HTMLElement[];
    expect(rows.length).toBe(3);
    expect(rows[1].textContent).toContain('list (25 items)');
    rows[1].click();
    const gap = root.querySelector('.jp-flight-value-gap')!;
    expect(gap.textContent).toBe('… 5 not shown');
    const keys = texts(
      rows[1].parentElement!,
      '.jp-flight-value-children .jp-flight-value-key'
    );
    expect(keys.slice(0, 1)).toEqual(["'sizes'"]);
    expect(keys.slice(10, 13)).toEqual(['[9]', '[15]', '[16]']);
    rows[1].click();
    expect((rows[1].nextElementSibling as HTMLElement).hidden).toBe(true);
    rows[2].click();
    expect(root.querySelector('b')).toBeNull();
    expect(root.textContent).toContain("'<b>bold</b>'");
    expect(root.textContent).toContain('cut (full repr: 5000 characters)');
  });

  it('builds long child lists in chunks', () => {
    const items = Array.from({ length: CHUNK * 2 + 5 }, (_, i) => ({
      type: 'int',
      repr: String(i)
    }));
    const tree = renderValueTree({ type: 'list', len: items.length, items });
    expect(
      tree.querySelectorAll('.jp-flight-value-children > .jp-flight-value-node')
        .length
    ).toBe(CHUNK);
    (tree.querySelector('.jp-flight-value-more button') as HTMLElement).click();
    expect(
      tree.querySelectorAll('.jp-flight-value-children > .jp-flight-value-node')
        .length
    ).toBe(CHUNK * 2);
    (tree.querySelector('.jp-flight-value-more button') as HTMLElement).click();
    expect(
      tree.querySelectorAll('.jp-flight-value-children > .jp-flight-value-node')
        .length
    ).toBe(CHUNK * 2 + 5);
    expect(tree.querySelector('.jp-flight-value-more')).toBeNull();
  });
});

describe('console view', () => {
  it('shows stdout, stderr and the value', () => {
    const node = renderRecord(consoleRecord);
    expect(node.querySelector('.jp-flight-stdout')!.textContent).toBe(
      'hello\n'
    );
    expect(node.querySelector('.jp-flight-stderr')!.textContent).toBe(
      'warning: careful\n'
    );
    expect(node.querySelector('.jp-flight-value-repr')!.textContent).toBe('42');
  });

  it('shows an error with its traceback', () => {
    const node = renderRecord(consoleErrorRecord);
    expect(node.querySelector('.jp-flight-error-title')!.textContent).toBe(
      'ZeroDivisionError: division by zero'
    );
    expect(node.querySelector('.jp-flight-traceback')!.textContent).toContain(
      'Traceback'
    );
  });
});

describe('tables', () => {
  it('sorts processes by a column, both ways', () => {
    const node = renderRecord(processesRecord);
    const pids = () =>
      Array.from(node.querySelectorAll('tbody tr')).map(
        tr => tr.children[0].textContent
      );
    expect(pids()).toEqual(['300', '20', '1000']);
    const headers = node.querySelectorAll('th');
    (headers[0] as HTMLElement).click();
    expect(pids()).toEqual(['20', '300', '1000']);
    (headers[0] as HTMLElement).click();
    expect(pids()).toEqual(['1000', '300', '20']);
    expect(headers[0].getAttribute('aria-sort')).toBe('descending');
    (headers[4] as HTMLElement).click(); // memory
    expect(pids()).toEqual(['1000', '300', '20']);
    expect(node.textContent).toContain('analysis.ipynb');
    expect(node.textContent).toContain('50.0 MiB');
  });
});

describe('other records', () => {
  it('has a view for each kind', () => {
    const views = otherRecords.map(renderRecord);
    expect(views.map(v => v.getAttribute('data-kind'))).toEqual([
      'gc',
      'module',
      'help',
      'message',
      'error',
      'sessions'
    ]);
    expect(views[0].textContent).toContain('12 unreachable objects collected');
    expect(texts(views[1], 'li')).toEqual(['__main__', 'app']);
    expect(views[2].querySelector('pre')!.textContent).toContain('getglobal');
    expect(views[3].textContent).toBe('stacks written to /tmp/x.txt');
    expect(views[4].textContent).toContain('error: no such module: nope');
    expect(views[4].textContent).toContain("KeyError: 'nope'");
    expect(views[5].querySelectorAll('tbody tr').length).toBe(1);
    for (const v of views) {
      expect(v.querySelector('.jp-flight-unknown')).toBeNull();
    }
  });

  it('shows an unknown kind as its JSON', () => {
    const node = renderRecord({ v: 1, kind: 'future', data: '<i>x</i>' });
    expect(node.querySelector('.jp-flight-unknown')).not.toBeNull();
    expect(node.querySelector('i')).toBeNull();
    expect(node.textContent).toContain('"data": "<i>x</i>"');
  });

  it('does not throw on a malformed record', () => {
    const node = renderRecord({ v: 1, kind: 'stack', threads: [null] } as any);
    expect(node.querySelector('.jp-flight-error')).not.toBeNull();
  });
});

describe('MIME renderer', () => {
  it('is safe and outranks text/html', () => {
    expect(rendererFactory.safe).toBe(true);
    expect(rendererFactory.mimeTypes).toEqual([MIME_TYPE]);
    expect(rendererFactory.defaultRank).toBeLessThan(50);
  });

  it('renders a payload with data-mime-type', async () => {
    const renderer = rendererFactory.createRenderer({
      mimeType: MIME_TYPE,
      sanitizer: { sanitize: (s: string) => s },
      resolver: null,
      linkHandler: null,
      latexTypesetter: null
    } as any);
    await renderer.renderModel({
      trusted: false,
      data: { [MIME_TYPE]: payload as any },
      metadata: {},
      setData: () => undefined
    });
    expect(renderer.node.getAttribute('data-mime-type')).toBe(MIME_TYPE);
    expect(
      renderer.node
        .querySelector('.jp-flight-output')!
        .getAttribute('data-mime-type')
    ).toBe(MIME_TYPE);
    expect(
      renderer.node.querySelector('.jp-flight-command')!.textContent
    ).toContain('stack');
    expect(renderer.node.querySelectorAll('.jp-flight-thread').length).toBe(2);
  });

  it('says so for a payload that is not one', () => {
    expect(renderPayload({} as any).textContent).toContain(
      'not a jupyterlab-flight result'
    );
    const cut = renderPayload({ v: 1, records: [], cut: true });
    expect(cut.textContent).toContain('cut');
  });
});

describe('command box', () => {
  // the answer of GET flight/commands
  const commands = (reply as ICommandsReply).commands;
  const named = (...names: string[]): ICommandDescriptor[] =>
    names.map(name => ({ ...commands[0], name }));

  it('completes command names', () => {
    expect(completeCommand('st', commands)).toEqual({
      text: 'stack ',
      candidates: ['stack']
    });
    expect(completeCommand('get', commands).text).toBe('getglobal ');
    expect(completeCommand('d', commands).text).toBe('detach ');
    expect(completeCommand('x', commands)).toEqual({
      text: 'x',
      candidates: []
    });
    expect(completeCommand('', commands).candidates).toEqual(
      commands.map(c => c.name)
    );
    expect(completeCommand('tr', commands).text).toBe('trace ');
    expect(completeCommand('t', commands).candidates).toEqual(['trace', 'tt']);
    expect(completeCommand('co', named('console', 'cost'))).toEqual({
      text: 'co',
      candidates: ['console', 'cost']
    });
    expect(completeCommand('c', named('console', 'consume')).text).toBe('cons');
  });

  it('keeps a history walked with up and down', () => {
    const history = new CommandHistory(['help']);
    history.push('stack');
    history.push('stack');
    history.push('getglobal __main__ X');
    expect(history.entries).toEqual(['help', 'stack', 'getglobal __main__ X']);
    expect(history.previous('draft')).toBe('getglobal __main__ X');
    expect(history.previous('')).toBe('stack');
    expect(history.previous('')).toBe('help');
    expect(history.previous('')).toBe('help');
    expect(history.next()).toBe('stack');
    expect(history.next()).toBe('getglobal __main__ X');
    expect(history.next()).toBe('draft');
    const bounded = new CommandHistory([], 2);
    ['a', 'b', 'c'].forEach(x => bounded.push(x));
    expect(bounded.entries).toEqual(['b', 'c']);
  });
});
