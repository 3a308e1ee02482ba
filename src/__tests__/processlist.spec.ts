/**
 * The sidebar's process list: command lines read script-first, and the order puts what a user
 * looks for first while keeping a job's tree whole.
 */
import { commandLabel } from '../sidebar/cmdline';
import { orderProcesses } from '../sidebar/order';
import { IProcess } from '../types';

const PY = '/root/.pyenv/versions/3.12.1/bin/python3.12';

describe('commandLabel', () => {
  it('puts the script and its arguments first', () => {
    expect(commandLabel(`${PY} -u /srv/app/train.py --epochs 3`)).toEqual({
      program: 'train.py --epochs 3',
      interpreter: `${PY} -u /srv/app/train.py`
    });
  });

  it('keeps -m and -c with what follows', () => {
    expect(
      commandLabel(`${PY} -X dev -m ipykernel_launcher -f /tmp/k.json`)
    ).toEqual({
      program: '-m ipykernel_launcher -f /tmp/k.json',
      interpreter: `${PY} -X dev`
    });
    expect(commandLabel(`${PY} -c import time; time.sleep(9)`).program).toBe(
      '-c import time; time.sleep(9)'
    );
  });

  it('names a launcher script and a bare interpreter', () => {
    expect(
      commandLabel('/work/.venv/bin/jupyter-lab --no-browser').program
    ).toBe('jupyter-lab --no-browser');
    expect(commandLabel(PY)).toEqual({
      program: 'python3.12',
      interpreter: PY
    });
    expect(commandLabel('')).toEqual({ program: '', interpreter: '' });
  });
});

describe('orderProcesses', () => {
  const p = (pid: number, extra: Partial<IProcess> = {}): IProcess => ({
    pid,
    cmdline: `python ${pid}.py`,
    ...extra
  });

  it('puts attached, kernels, then the busiest first and this server last', () => {
    const list = [
      p(1, { this_server: true, cpu_percent: 90 }),
      p(2, { cpu_percent: 1 }),
      p(3, { cpu_percent: 70 }),
      p(4, { kernel: true }),
      p(5)
    ];
    const order = orderProcesses(list, new Set([5])).map(x => x.pid);
    expect(order).toEqual([5, 4, 3, 2, 1]);
  });

  it('moves a job as one block', () => {
    const list = [
      p(10, { cpu_percent: 5 }),
      p(20, { job: 20, depth: 0 }),
      p(21, { job: 20, depth: 1, cpu_percent: 99 }),
      p(22, { job: 20, depth: 2 }),
      p(30, { cpu_percent: 50 })
    ];
    const order = orderProcesses(list, new Set()).map(x => x.pid);
    expect(order).toEqual([20, 21, 22, 30, 10]);
  });
});
