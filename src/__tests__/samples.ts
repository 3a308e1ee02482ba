/**
 * Sample records, as docs/schema.md documents them.
 */
import {
  IConsoleRecord,
  IPayload,
  IProcessesRecord,
  IRecord,
  IStackRecord,
  IValueRecord
} from '../types';

export const stackRecord: IStackRecord = {
  v: 1,
  kind: 'stack',
  pid: 4242,
  source: 'pystack',
  native: true,
  threads: [
    {
      thread_id: 140316169509760,
      native_id: 4242,
      name: 'MainThread',
      daemon: false,
      main: true,
      gil: true,
      frames: [
        {
          function: 'main',
          file: '/srv/app.py',
          line: 40,
          module: '__main__',
          code: 'serve_forever()'
        },
        {
          function: 'Server.wait',
          file: '/srv/app.py',
          line: 12,
          module: '__main__'
        },
        { function: 'pthread_cond_wait', native: true, library: 'libc.so.6' }
      ]
    },
    {
      thread_id: 140316169509761,
      native_id: 4243,
      name: 'worker-<img src=x onerror=alert(1)>',
      daemon: true,
      main: false,
      gil: false,
      frames: [
        {
          function: 'Worker.run',
          file: '/srv/worker.py',
          line: 7,
          module: 'worker'
        },
        {
          function: 'compute',
          file: '/srv/numeric.py',
          line: 99,
          module: 'numeric'
        }
      ]
    }
  ]
};

export const valueRecord: IValueRecord = {
  v: 1,
  kind: 'value',
  command: 'getglobal',
  target: '__main__.CONFIG',
  expr: null,
  type: 'dict',
  value: {
    type: 'dict',
    len: 3,
    cut_any: true,
    entries: [
      {
        key: { type: 'str', repr: "'name'", len: 4 },
        value: { type: 'str', repr: "'demo'", len: 4 }
      },
      {
        key: { type: 'str', repr: "'sizes'", len: 5 },
        value: {
          type: 'list',
          len: 25,
          items: [
            ...Array.from({ length: 10 }, (_, i) => ({
              type: 'int',
              repr: String(i)
            })),
            { omitted: 5 },
            ...Array.from({ length: 10 }, (_, i) => ({
              type: 'int',
              repr: String(i + 15)
            }))
          ]
        }
      },
      {
        key: { type: 'str', repr: "'server'", len: 6 },
        value: {
          type: 'app.Server',
          attrs: [
            {
              name: 'host',
              value: { type: 'str', repr: "'<b>bold</b>'", len: 11 }
            },
            {
              name: 'banner',
              value: { type: 'str', repr: "'xxxx", cut: 5000, len: 5000 }
            }
          ]
        }
      }
    ]
  }
};

export const consoleRecord: IConsoleRecord = {
  v: 1,
  kind: 'console',
  stdout: 'hello\n',
  stderr: 'warning: careful\n',
  value: { type: 'int', repr: '42' },
  type: 'int',
  error: null
};

export const consoleErrorRecord: IConsoleRecord = {
  v: 1,
  kind: 'console',
  stdout: '',
  stderr: '',
  value: null,
  type: null,
  error: {
    type: 'ZeroDivisionError',
    message: 'division by zero',
    traceback:
      'Traceback (most recent call last):\n  File "<console>", line 1, in <module>\nZeroDivisionError: division by zero\n'
  }
};

export const processesRecord: IProcessesRecord = {
  v: 1,
  kind: 'processes',
  processes: [
    {
      pid: 300,
      user: 'root',
      cmdline: 'python train.py',
      python: '3.11',
      cpu_percent: 12.5,
      rss_bytes: 52428800,
      kernel: false,
      kernel_id: null,
      notebook: null,
      self: false
    },
    {
      pid: 20,
      user: 'root',
      cmdline: 'python -m ipykernel_launcher -f kernel-abc.json',
      python: '3.11',
      cpu_percent: 0.5,
      rss_bytes: 104857600,
      kernel: true,
      kernel_id: 'abc',
      notebook: 'analysis.ipynb',
      self: false
    },
    {
      pid: 1000,
      user: 'root',
      cmdline: 'python service.py',
      python: '3.12',
      cpu_percent: 99,
      rss_bytes: 1048576,
      kernel: false,
      kernel_id: null,
      notebook: null,
      self: false
    }
  ]
};

export const otherRecords: IRecord[] = [
  {
    v: 1,
    kind: 'gc',
    collected: 12,
    uncollectable: 0,
    counts_before: [400, 3, 1]
  },
  { v: 1, kind: 'module', file: '/srv/app.py', modules: ['__main__', 'app'] },
  {
    v: 1,
    kind: 'help',
    command: null,
    text: "stack   every thread's stack\ngetglobal ..."
  },
  { v: 1, kind: 'message', text: 'stacks written to /tmp/x.txt' },
  {
    v: 1,
    kind: 'error',
    message: 'no such module: nope',
    exception: { type: 'KeyError', message: "'nope'" }
  },
  {
    v: 1,
    kind: 'sessions',
    sessions: [
      {
        pid: 4242,
        current: true,
        connected: true,
        python: '3.11.7',
        executable: '/usr/bin/python3'
      }
    ]
  }
];

export const payload: IPayload = {
  v: 1,
  command: 'stack',
  pid: 4242,
  records: [stackRecord],
  cut: false
};
