/**
 * The `stack` view: threads as collapsible groups, a filter over thread names and frame text,
 * the GIL holder marked, native frames styled apart from Python frames.
 */
import { badge, el, str } from '../dom';
import { IFrame, IStackRecord, ITask, IThread } from '../types';

function frameText(frame: IFrame): string {
  if (frame.native) {
    return `${str(frame.function)} ${str(frame.library ?? frame.file)}`;
  }
  return `${str(frame.function)} ${str(frame.file)}:${str(frame.line)} ${str(frame.code ?? '')}`;
}

function renderFrame(frame: IFrame, innermost: boolean): HTMLElement {
  const row = el('li', {
    className:
      'jp-flight-frame' +
      (frame.native ? ' jp-flight-frame-native' : ' jp-flight-frame-python') +
      (innermost ? ' jp-flight-frame-innermost' : '')
  });
  if (frame.native) {
    row.appendChild(badge('C', 'native', 'native frame'));
  }
  row.appendChild(
    el('span', {
      className: 'jp-flight-frame-function',
      text: str(frame.function)
    })
  );
  const where = frame.native
    ? str(frame.library ?? frame.file)
    : `${str(frame.file)}:${str(frame.line)}`;
  row.appendChild(
    el('span', { className: 'jp-flight-frame-where', text: where })
  );
  if (frame.code) {
    row.appendChild(
      el('code', { className: 'jp-flight-frame-code', text: frame.code })
    );
  }
  return row;
}

interface IGroup {
  node: HTMLDetailsElement;
  haystack: string;
  frames: { node: HTMLElement; text: string }[];
}

function renderGroup(
  title: string,
  badges: HTMLElement[],
  subtitle: string,
  frames: IFrame[],
  omitted: number | undefined,
  extraClass: string
): IGroup {
  const details = el('details', {
    className: `jp-flight-thread ${extraClass}`
  }) as HTMLDetailsElement;
  details.open = true;
  const head = el('summary', { className: 'jp-flight-thread-summary' }, [
    el('span', { className: 'jp-flight-thread-name', text: title }),
    ...badges,
    el('span', { className: 'jp-flight-muted', text: subtitle })
  ]);
  details.appendChild(head);
  const list = el('ol', { className: 'jp-flight-frames' });
  if (omitted) {
    list.appendChild(
      el('li', {
        className: 'jp-flight-value-note',
        text: `${omitted} outer frames not shown`
      })
    );
  }
  const group: IGroup = {
    node: details,
    haystack: title.toLowerCase(),
    frames: []
  };
  frames.forEach((frame, i) => {
    const node = renderFrame(frame, i === frames.length - 1);
    list.appendChild(node);
    group.frames.push({ node, text: frameText(frame).toLowerCase() });
  });
  details.appendChild(list);
  return group;
}

function threadGroup(thread: IThread): IGroup {
  const badges: HTMLElement[] = [];
  if (thread.gil === true) {
    badges.push(badge('GIL', 'gil', 'this thread holds the GIL'));
  }
  if (thread.main) {
    badges.push(badge('main', 'main'));
  }
  if (thread.daemon) {
    badges.push(badge('daemon', 'daemon'));
  }
  const id = thread.native_id ?? thread.thread_id;
  const frames = thread.frames ?? [];
  const group = renderGroup(
    str(thread.name || '?'),
    badges,
    `${id !== null && id !== undefined ? `tid ${id} · ` : ''}${frames.length} frames, innermost last`,
    frames,
    thread.frames_omitted,
    thread.gil === true ? 'jp-flight-thread-gil' : ''
  );
  return group;
}

function taskGroup(task: ITask): IGroup {
  const subtitle = [
    task.coroutine ? str(task.coroutine) : '',
    task.awaiting ? `awaiting ${str(task.awaiting)}` : ''
  ]
    .filter(Boolean)
    .join(' · ');
  return renderGroup(
    `task ${str(task.name)}`,
    [badge(str(task.state), 'task')],
    subtitle,
    task.frames ?? [],
    undefined,
    'jp-flight-task'
  );
}

/**
 * Renders a `stack` record.
 */
export function renderStack(record: IStackRecord): HTMLElement {
  const threads: IThread[] = record.threads ?? [];
  const tasks: ITask[] = record.tasks ?? [];
  const root = el('div', { className: 'jp-flight-stack' });
  const source =
    record.source === 'pystack'
      ? record.native
        ? 'read from outside by pystack, native frames included'
        : 'read from outside by pystack'
      : 'read by the agent in the target';
  const count = el('span', { className: 'jp-flight-muted' });
  const filter = el('input', {
    className: 'jp-flight-filter jp-mod-styled',
    attrs: {
      type: 'search',
      placeholder: 'Filter threads and frames',
      'aria-label': 'Filter threads and frames'
    }
  }) as HTMLInputElement;
  const collapse = el('button', {
    className: 'jp-flight-link',
    text: 'collapse all'
  });
  const expand = el('button', {
    className: 'jp-flight-link',
    text: 'expand all'
  });
  root.appendChild(
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', {
        className: 'jp-flight-title',
        text: `pid ${str(record.pid)}: ${threads.length} ${threads.length === 1 ? 'thread' : 'threads'}`
      }),
      el('span', { className: 'jp-flight-muted', text: source }),
      filter,
      count,
      expand,
      collapse
    ])
  );
  const groups = threads.map(threadGroup).concat(tasks.map(taskGroup));
  const body = el('div', { className: 'jp-flight-stack-threads' });
  for (const group of groups) {
    body.appendChild(group.node);
  }
  root.appendChild(body);

  const apply = () => {
    const query = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const group of groups) {
      const nameHit = !query || group.haystack.includes(query);
      let frameHit = false;
      for (const frame of group.frames) {
        const hit = !!query && frame.text.includes(query);
        frame.node.classList.toggle('jp-flight-match', hit);
        frameHit = frameHit || hit;
      }
      const visible = nameHit || frameHit;
      group.node.hidden = !visible;
      if (visible) {
        shown++;
      }
    }
    count.textContent = query ? `${shown} of ${groups.length} shown` : '';
  };
  filter.addEventListener('input', apply);
  collapse.addEventListener('click', () => {
    groups.forEach(g => (g.node.open = false));
  });
  expand.addEventListener('click', () => {
    groups.forEach(g => (g.node.open = true));
  });
  return root;
}
