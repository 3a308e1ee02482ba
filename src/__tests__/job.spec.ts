/// <reference types="node" />
/**
 * The job view (tests/fixtures/records/job.json, a real run of tests/targets/job_launcher.py):
 * the terminal's summary words, groups smallest first, the diverging frame marked; the job tree;
 * and job members in the sidebar's process rows.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IFlightService } from '../api';
import { FlightModel } from '../model';
import { renderRecord } from '../render';
import { decorateJobRow } from '../sidebar/jobs';
import { IJobRecord, IProcess, IRecord } from '../types';
import { groupMembers, jobSummary, renderJob } from '../views/job';

jest.mock('plotly.js-basic-dist-min', () => ({
  react: jest.fn(() => Promise.resolve())
}));

const fixture: IJobRecord = JSON.parse(
  fs.readFileSync(
    path.join(
      __dirname,
      '..',
      '..',
      'tests',
      'fixtures',
      'records',
      'job.json'
    ),
    'utf-8'
  )
);

describe('job view', () => {
  it('says which ranks are where, the straggler with its line', () => {
    const lines = jobSummary(fixture);
    expect(lines[0]).toBe(
      '3 ranks in all_reduce (rank 0, 1, 3); rank 2 in load_batch, job_rank.py:34'
    );
    expect(lines.length).toBe(3); // ranks, workers, the launcher
  });

  it('renders groups smallest first with the diverging frame marked', () => {
    const node = renderRecord(fixture);
    expect(node.getAttribute('data-kind')).toBe('job');
    const titles = Array.from(
      node.querySelectorAll('.jp-flight-job-title')
    ).map(n => n.textContent);
    expect(titles[0]).toBe('1 rank: rank 2');
    expect(titles[1]).toBe('3 ranks: rank 0, 1, 3');
    const marked = node.querySelectorAll('.jp-flight-job-diverges');
    expect(marked.length).toBe(1);
    expect(marked[0].textContent).toContain('load_batch');
    expect(node.textContent).toContain('same stack in all 2 samples');
  });

  it('shows failures by status and never drops a process', () => {
    const record: IJobRecord = {
      ...fixture,
      groups: [
        ...fixture.groups,
        {
          tier: 'rank',
          count: 1,
          pids: [99],
          ranks: [4],
          labels: ['rank 4'],
          status: 'denied',
          reason: 'Operation not permitted <b>',
          stack: []
        }
      ]
    };
    const node = renderJob(record);
    expect(node.textContent).toContain('rank 4: permission denied');
    expect(node.textContent).toContain('Operation not permitted <b>');
    expect(node.querySelector('b')).toBeNull(); // target text is text, not HTML
  });

  it('lists a job as a tree without a command', () => {
    const node = renderJob({ ...fixture, command: '', groups: [] });
    const items = node.querySelectorAll('.jp-flight-job-process');
    expect(items.length).toBe(fixture.processes.length);
    const depths = Array.from(items).map(
      i => (i as HTMLElement).style.paddingLeft
    );
    expect(depths[0]).toBe('0px');
    expect(depths[1]).toBe('14px');
    expect(node.textContent).toContain('rank 2');
  });

  it('names members by rank, else by label and pid', () => {
    expect(
      groupMembers({
        tier: 'rank',
        count: 2,
        pids: [5, 6],
        ranks: [0, 1],
        status: 'ok',
        stack: []
      })
    ).toBe('rank 0, 1');
    expect(
      groupMembers({
        tier: 'other',
        count: 1,
        pids: [7],
        labels: ['launcher (x.py)'],
        status: 'ok',
        stack: []
      })
    ).toBe('launcher (x.py) 7');
  });
});

describe('sidebar job rows', () => {
  function row(): HTMLElement {
    const node = document.createElement('div');
    node.innerHTML =
      '<div class="jp-flight-process-head"><span class="jp-flight-pid">12</span><button></button></div>';
    return node;
  }

  it('indents a member by depth and badges its label', () => {
    const node = row();
    const p: IProcess = {
      pid: 12,
      job: 10,
      depth: 2,
      role: 'worker',
      label: 'rank 1 worker 0'
    };
    decorateJobRow(node, p);
    expect(node.classList.contains('jp-flight-job-member')).toBe(true);
    expect(node.getAttribute('data-job')).toBe('10');
    expect(node.style.marginLeft).toBe('24px');
    const label = node.querySelector('.jp-flight-job-label');
    expect(label?.textContent).toBe('rank 1 worker 0');
    expect(label?.previousElementSibling?.className).toBe('jp-flight-pid');
  });

  it('leaves a process that is alone as it was', () => {
    const node = row();
    decorateJobRow(node, { pid: 12, job: null, depth: 0 });
    expect(node.classList.contains('jp-flight-job-member')).toBe(false);
    expect(node.querySelector('.jp-flight-job-label')).toBeNull();
  });
});

describe('Stack job in the sidebar', () => {
  function row(): HTMLElement {
    const node = document.createElement('div');
    node.innerHTML =
      '<div class="jp-flight-process-head"><span class="jp-flight-pid">10</span></div>';
    return node;
  }

  it('is on the root row only, and asks for the root pid', () => {
    const asked: number[] = [];
    const root = row();
    decorateJobRow(
      root,
      { pid: 10, job: 10, depth: 0, label: 'launcher (torchrun)' },
      pid => asked.push(pid)
    );
    const member = row();
    decorateJobRow(
      member,
      { pid: 11, job: 10, depth: 1, label: 'rank 0' },
      pid => asked.push(pid)
    );
    expect(member.querySelector('.jp-flight-job-stack-button')).toBeNull();
    const button = root.querySelector(
      '.jp-flight-job-stack-button'
    ) as HTMLButtonElement;
    expect(button.textContent).toBe('Stack job');
    button.click();
    expect(asked).toEqual([10]);
  });

  it('puts the job record in the results', async () => {
    const calls: [number, string | undefined][] = [];
    const service = {
      listProcesses: () => Promise.resolve({ processes: [], kernels: [] }),
      listSessions: () => Promise.resolve([]),
      attach: () => Promise.reject(new Error('no')),
      detach: () => Promise.resolve([]),
      listCommands: () => Promise.resolve([]),
      openStream: () => {
        throw new Error('no stream');
      },
      runJob: (pid: number, command?: string): Promise<IRecord[]> => {
        calls.push([pid, command]);
        return Promise.resolve([fixture]);
      }
    } as unknown as IFlightService;
    const model = new FlightModel({ service, storage: null });
    await model.runJob(26541);
    expect(calls).toEqual([[26541, 'stack']]);
    expect(model.results.length).toBe(1);
    expect(model.results[0].command).toBe('job 26541 stack');
    expect(model.results[0].records[0].kind).toBe('job');
  });
});
