/**
 * Sample records of the method-observation streams (docs/schema.md, "Streams: method
 * observation"). The watch records are as `flight_profiler PID --cmd "watch ..." --json` printed
 * them against tests/targets/observed.py; the others are written from the schema.
 */
import {
  ICallNode,
  IEndRecord,
  IMessageRecord,
  IMonitorRecord,
  ITraceRecord,
  ITtDetailRecord,
  ITtListRecord,
  ITtRecord,
  IWatchRecord
} from '../types';

export const HOSTILE = '<img src=x onerror=alert(1)>';

export const watchStart: IMessageRecord = {
  v: 1,
  kind: 'message',
  text: 'watching __main__.compute (up to 3 calls)',
  stop_hint: 'ends it'
};

export const watchRecords: IWatchRecord[] = [
  {
    kind: 'watch',
    index: 1,
    method: '__main__.compute',
    thread_id: 139917744142016,
    thread_name: 'worker',
    time: 1795254038.7945538,
    cost_ms: 0.004867,
    exception: null,
    values: [
      {
        expr: 'args',
        value: {
          type: 'tuple',
          len: 2,
          items: [
            { type: 'int', repr: '18' },
            { type: 'int', repr: '2' }
          ]
        }
      },
      {
        expr: 'kwargs',
        value: {
          type: 'dict',
          len: 1,
          entries: [
            {
              key: { type: 'str', repr: "'scale'", len: 5 },
              value: { type: 'int', repr: '3' }
            }
          ]
        }
      }
    ],
    v: 1
  },
  {
    kind: 'watch',
    index: 2,
    method: '__main__.compute',
    thread_id: 139917744142016,
    thread_name: 'worker',
    time: 1795254041.8812437,
    cost_ms: 0.044356,
    exception: { type: 'ValueError', message: 'thirteen' },
    values: [
      {
        expr: 'args',
        value: {
          type: 'tuple',
          len: 2,
          items: [
            { type: 'int', repr: '13' },
            { type: 'int', repr: '2' }
          ]
        }
      },
      { expr: 'return_obj', value: { type: 'NoneType', repr: 'None' } },
      {
        expr: '1/0',
        error: { type: 'ZeroDivisionError', message: 'division by zero' }
      }
    ],
    v: 1
  },
  {
    kind: 'watch',
    index: 3,
    method: '__main__.compute',
    thread_id: 139917744142017,
    thread_name: `worker-${HOSTILE}`,
    time: 1795254042.097601,
    cost_ms: 2.5,
    exception: null,
    values: [
      {
        expr: 'target',
        value: {
          type: '__main__.Shop',
          attrs: [
            { name: 'name', value: { type: 'str', repr: `'${HOSTILE}'` } }
          ]
        }
      },
      { expr: 'return_obj', value: { type: 'int', repr: '21' } }
    ],
    filter_error: {
      expr: 'args[5]',
      type: 'IndexError',
      message: 'out of range'
    },
    v: 1
  }
];

export const watchEnd: IEndRecord = { v: 1, kind: 'end', reason: 'limit' };

export const monitorRecords: IMonitorRecord[] = [1, 2, 3].map(cycle => ({
  v: 1,
  kind: 'monitor',
  method: '__main__.compute',
  cycle,
  start: 1795254000 + (cycle - 1) * 5,
  end: 1795254000 + cycle * 5,
  calls: cycle === 2 ? 0 : 100 * cycle,
  successes: cycle === 2 ? 0 : 100 * cycle - cycle,
  failures: cycle === 2 ? 0 : cycle,
  avg_ms: cycle === 2 ? null : 1.5 * cycle,
  p50_ms: cycle === 2 ? null : 1.2 * cycle,
  p99_ms: cycle === 2 ? null : 4.5 * cycle,
  max_ms: cycle === 2 ? null : 9.75 * cycle
}));

export const ttRecords: ITtRecord[] = [
  {
    v: 1,
    kind: 'tt_record',
    index: 1000,
    method: '__main__.Shop.price',
    time: 1795254050.25,
    cost_ms: 0.012,
    thread_name: 'worker',
    is_return: true,
    is_exception: false,
    exception: null
  },
  {
    v: 1,
    kind: 'tt_record',
    index: 1001,
    method: '__main__.Shop.price',
    time: 1795254050.5,
    cost_ms: 0.5,
    thread_name: HOSTILE,
    is_return: false,
    is_exception: true,
    exception: { type: 'ValueError', message: 'thirteen' }
  }
];

export const ttListRecord: ITtListRecord = {
  v: 1,
  kind: 'tt_list',
  records: ttRecords,
  evicted: 7
};

export const ttDetailRecord: ITtDetailRecord = {
  v: 1,
  kind: 'tt_detail',
  index: 1001,
  method: '__main__.Shop.price',
  time: 1795254050.5,
  cost_ms: 0.5,
  thread_name: 'worker',
  thread_id: 139917744142016,
  is_return: false,
  is_exception: true,
  target: {
    type: '__main__.Shop',
    attrs: [{ name: 'name', value: { type: 'str', repr: "'s'", len: 1 } }]
  },
  args: {
    type: 'tuple',
    len: 1,
    items: [{ type: 'int', repr: '13' }]
  },
  kwargs: { type: 'dict', len: 0, entries: [] },
  return_obj: null,
  exception: {
    type: 'ValueError',
    message: HOSTILE,
    traceback:
      'Traceback (most recent call last):\n  File "observed.py", line 23, in price\nValueError: thirteen'
  },
  replay_of: null
};

function leaf(
  fn: string,
  cost: number,
  extra: Partial<ICallNode> = {}
): ICallNode {
  return {
    function: fn,
    file: '/srv/app.py',
    line: 10,
    cost_ms: cost,
    children: [],
    builtin: false,
    await: false,
    folded: null,
    ...extra
  };
}

export const traceRoot: ICallNode = {
  function: 'Handler.get',
  file: '/srv/app.py',
  line: 40,
  cost_ms: 100,
  builtin: false,
  await: false,
  folded: { count: 12, cost_ms: 3 },
  children: [
    leaf('load', 20, {
      children: [
        leaf('json.loads', 15, { builtin: true, file: null, line: null })
      ]
    }),
    leaf('compute', 70, {
      children: [
        leaf('inner_loop', 50, {
          children: [leaf(`hot_${HOSTILE}`, 45)]
        }),
        leaf('asyncio.sleep', 10, { await: true })
      ]
    }),
    leaf('render', 5)
  ]
};

export const traceRecord: ITraceRecord = {
  v: 1,
  kind: 'trace',
  index: 1,
  method: '__main__.Handler.get',
  thread_id: 139917744142016,
  thread_name: 'MainThread',
  time: 1795254060.125,
  cost_ms: 100,
  root: traceRoot
};

/**
 * A wide, deep call tree of about `n` frames (benchmarks and the flame graph tests).
 */
export function bigCallTree(n: number, fanout = 8): ICallNode {
  let made = 1;
  const root = leaf('root', 0);
  const queue: ICallNode[] = [root];
  while (made < n && queue.length) {
    const parent = queue.shift()!;
    for (let i = 0; i < fanout && made < n; i++) {
      const child = leaf(`f${made}`, 0);
      made++;
      parent.children!.push(child);
      queue.push(child);
    }
  }
  // costs: each node 1 ms of its own
  const total = (node: ICallNode): number => {
    node.cost_ms =
      1 + (node.children ?? []).reduce((sum, c) => sum + total(c), 0);
    return node.cost_ms;
  };
  total(root);
  return root;
}
