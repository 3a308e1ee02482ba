/**
 * Jobs in the sidebar's process list: the server lists a job's processes after its root, depth
 * first (jobs.annotate), each with its job's root pid, depth and label ("rank 2", "rank 2 worker
 * 0", "launcher (torchrun)"). A member's row is indented by its depth and badged with its label,
 * so a job reads as a tree: launcher, ranks, workers. The root's row has "Stack job": every process
 * of the job read from outside and grouped (`POST flight/jobs`), the `job` record in the results.
 */
import { badge, el } from '../dom';
import { IProcess } from '../types';

export const MAX_DEPTH = 6;

/**
 * Whether a process belongs to a job of several processes.
 */
export function inJob(p: IProcess): boolean {
  return p.job !== null && p.job !== undefined;
}

/**
 * Marks a process row as a job member: indentation, its label as a badge, `data-job`.
 */
export function decorateJobRow(
  row: HTMLElement,
  p: IProcess,
  onStack?: (pid: number) => void
): void {
  if (!inJob(p)) {
    return;
  }
  const depth = Math.min(p.depth ?? 0, MAX_DEPTH);
  row.classList.add('jp-flight-job-member');
  if (depth === 0) {
    row.classList.add('jp-flight-job-root');
  }
  row.setAttribute('data-job', String(p.job));
  row.setAttribute('data-depth', String(depth));
  row.style.marginLeft = `${depth * 12}px`;
  if (depth === 0 && onStack) {
    // the job's root: one button reads every process of the job (from outside) and groups them
    const button = el('button', {
      className: 'jp-flight-button jp-mod-styled jp-flight-job-stack-button',
      text: 'Stack job',
      title: `The stacks of every process of the job of ${p.pid}, grouped (nothing is attached)`
    });
    button.addEventListener('click', event => {
      event.stopPropagation();
      onStack(p.pid);
    });
    const head = row.querySelector('.jp-flight-process-head');
    (head ?? row).appendChild(button);
  }
  if (p.label) {
    const label = badge(
      p.label,
      'flag',
      `${p.role ?? 'member'} of the job of pid ${p.job}`
    );
    label.classList.add('jp-flight-job-label');
    const head = row.querySelector('.jp-flight-process-head');
    const pid = head?.querySelector('.jp-flight-pid');
    if (head && pid) {
      pid.after(label);
    } else {
      row.prepend(label);
    }
  }
}
