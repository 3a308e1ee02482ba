/**
 * The order of the process list: what a user looks for first. Attached processes, then Jupyter
 * kernels, then the busiest; the Jupyter server that serves this page last. A job (a root and
 * the members the server lists after it) moves as one block, so its tree stays whole.
 */
import { IProcess } from '../types';

function rank(p: IProcess, attached: Set<number>): number[] {
  return [
    attached.has(p.pid) ? 0 : 1,
    p.this_server ? 1 : 0,
    p.kernel ? 0 : 1,
    -(p.cpu_percent ?? 0)
  ];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return a[i] - b[i];
    }
  }
  return 0;
}

/**
 * Blocks of consecutive rows: a process outside any job, or a job's root with its members.
 */
function blocks(processes: readonly IProcess[]): IProcess[][] {
  const found: IProcess[][] = [];
  for (const p of processes) {
    const job = p.job;
    const last = found[found.length - 1];
    const member = job !== null && job !== undefined && (p.depth ?? 0) > 0;
    if (member && last && last[0].job === job) {
      last.push(p);
    } else {
      found.push([p]);
    }
  }
  return found;
}

export function orderProcesses(
  processes: readonly IProcess[],
  attached: Set<number>
): IProcess[] {
  return blocks(processes)
    .map((block, index) => ({
      block,
      index,
      key: block
        .map(p => rank(p, attached))
        .reduce((best, k) => (compare(k, best) < 0 ? k : best))
    }))
    .sort((a, b) => compare(a.key, b.key) || a.index - b.index)
    .flatMap(entry => entry.block);
}
