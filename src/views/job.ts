/**
 * The `job` view (a command on every process of a job, fanout.py): one summary line per tier
 * (`3 ranks in all_reduce (rank 0, 1, 3); rank 2 in load_batch, job_rank.py:34`), then the groups
 * smallest first as collapsible stacks (STAT's equivalence classes) with the frame where a group
 * leaves the majority marked, and every process that did not answer with its status. Without a
 * command, the job's processes as a tree with their labels.
 */
import { badge, el, str } from '../dom';
import { IFrame, IJobGroup, IJobProcess, IJobRecord } from '../types';

const NOUNS: { [tier: string]: [string, string] } = {
  rank: ['rank', 'ranks'],
  worker: ['worker', 'workers'],
  other: ['process', 'processes']
};

const STATUS: { [status: string]: string } = {
  timeout: 'timed out',
  denied: 'permission denied',
  not_python: 'not Python',
  gone: 'exited',
  error: 'failed',
  skipped: 'not selected'
};

function basename(path: string | null | undefined): string {
  const text = str(path);
  return text.slice(text.lastIndexOf('/') + 1) || '?';
}

function where(frame: IFrame): string {
  return `${basename(frame.file)}:${str(frame.line)}`;
}

function noun(group: IJobGroup): string {
  const [one, many] = NOUNS[group.tier] ?? NOUNS.other;
  return group.count === 1 ? one : many;
}

/**
 * Who is in a group: its ranks, or its members' labels and pids.
 */
export function groupMembers(group: IJobGroup): string {
  if (group.ranks && group.ranks.length) {
    return `rank ${group.ranks.join(', ')}`;
  }
  const labels = group.labels ?? [];
  if (labels.length <= 4) {
    return group.pids
      .map((pid, i) => {
        const label = labels[i];
        return label && !label.includes(String(pid))
          ? `${label} ${pid}`
          : String(pid);
      })
      .join(', ');
  }
  const shown = group.pids.slice(0, 8).join(', ');
  return `pids ${shown}${group.pids.length > 8 ? `, ... (${group.pids.length})` : ''}`;
}

function phrase(group: IJobGroup): string {
  const members = groupMembers(group);
  if (group.status !== 'ok') {
    const what = STATUS[group.status] ?? group.status;
    return group.count > 1
      ? `${group.count} ${noun(group)} ${what} (${members})`
      : `${members}: ${what}`;
  }
  const innermost = group.stack[group.stack.length - 1];
  let at = `in ${innermost ? str(innermost.function) : '?'}`;
  if (!group.majority && innermost) {
    at += `, ${where(innermost)}`;
  }
  return group.count === 1
    ? `${members} ${at}`
    : `${group.count} ${noun(group)} ${at} (${members})`;
}

/**
 * One line per tier, the majority first (the terminal's summary, same words).
 */
export function jobSummary(record: IJobRecord): string[] {
  const lines: string[] = [];
  for (const tier of ['rank', 'worker', 'other']) {
    const groups = (record.groups ?? [])
      .filter(g => g.tier === tier)
      .sort(
        (a, b) => Number(!a.majority) - Number(!b.majority) || a.count - b.count
      );
    if (groups.length) {
      lines.push(groups.map(phrase).join('; '));
    }
  }
  return lines;
}

function movingText(group: IJobGroup, samples: number): string {
  if (samples <= 1 || group.moving === undefined) {
    return '';
  }
  return group.moving.length
    ? `moving: ${group.moving.join(', ')}`
    : `same stack in all ${samples} samples`;
}

function renderGroup(group: IJobGroup, samples: number): HTMLElement {
  const details = el('details', {
    className:
      'jp-flight-job-group' + (group.majority ? ' jp-flight-job-majority' : '')
  }) as HTMLDetailsElement;
  details.open = true;
  const badges: HTMLElement[] = [];
  if (group.majority) {
    badges.push(badge('majority', 'flag', 'the largest group of its tier'));
  }
  const moving = movingText(group, samples);
  if (moving) {
    badges.push(badge(moving, group.moving?.length ? 'live' : 'exception'));
  }
  details.appendChild(
    el('summary', { className: 'jp-flight-job-summary' }, [
      el('span', {
        className: 'jp-flight-job-title',
        text: `${group.count} ${noun(group)}: ${groupMembers(group)}`
      }),
      ...badges
    ])
  );
  if (group.status !== 'ok') {
    details.appendChild(
      el('div', {
        className: 'jp-flight-error',
        text: `${STATUS[group.status] ?? group.status}: ${str(group.reason)}`
      })
    );
    return details;
  }
  const list = el('ol', { className: 'jp-flight-job-stack' });
  group.stack.forEach((frame, i) => {
    const diverges =
      group.diverges_at !== null &&
      group.diverges_at !== undefined &&
      i === group.diverges_at;
    list.appendChild(
      el(
        'li',
        {
          className:
            'jp-flight-frame' + (diverges ? ' jp-flight-job-diverges' : ''),
          title: diverges ? 'where this group leaves the majority' : undefined
        },
        [
          el('span', {
            className: 'jp-flight-frame-function',
            text: str(frame.function)
          }),
          el('span', { className: 'jp-flight-frame-where', text: where(frame) })
        ]
      )
    );
  });
  details.appendChild(list);
  return details;
}

function renderTree(processes: IJobProcess[]): HTMLElement {
  const list = el('ul', { className: 'jp-flight-job-tree' });
  for (const p of processes) {
    const item = el('li', { className: 'jp-flight-job-process' }, [
      el('span', { className: 'jp-flight-pid', text: String(p.pid) }),
      el('span', { className: 'jp-flight-job-label', text: str(p.label) }),
      el('span', {
        className: 'jp-flight-muted',
        text: p.python === false ? ' (not Python)' : ''
      })
    ]);
    item.style.paddingLeft = `${Math.min(p.depth ?? 0, 12) * 14}px`;
    item.title = str(p.cmdline);
    if (p.status && !['ok', 'listed', 'skipped'].includes(p.status)) {
      item.appendChild(
        badge(STATUS[p.status] ?? p.status, 'exception', str(p.reason))
      );
    }
    list.appendChild(item);
  }
  return list;
}

/**
 * The view of a `job` record.
 */
export function renderJob(record: IJobRecord): HTMLElement {
  const root = el('div', { className: 'jp-flight-job' });
  const processes = record.processes ?? [];
  if (!record.command) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `job of pid ${record.pid} (root ${record.root}): ${processes.length} processes`
      })
    );
    root.appendChild(renderTree(processes));
    return root;
  }
  const asked = processes.filter(p => p.status !== 'skipped').length;
  const answered = processes.filter(p => p.status === 'ok').length;
  root.appendChild(
    el('div', {
      className: 'jp-flight-muted',
      text:
        `job of pid ${record.pid} (root ${record.root}): ${record.command} on ${asked} processes, ` +
        `${answered} answered, ${record.elapsed_ms} ms` +
        (record.samples > 1 ? `, ${record.samples} samples` : '')
    })
  );
  for (const line of jobSummary(record)) {
    root.appendChild(
      el('div', { className: 'jp-flight-job-line', text: line })
    );
  }
  for (const group of record.groups ?? []) {
    root.appendChild(renderGroup(group, record.samples));
  }
  if (!(record.groups ?? []).length) {
    root.appendChild(renderTree(processes));
  }
  return root;
}
