/**
 * The server's WebSocket API (docs/server-api.md) from a node `ws` client, against the real
 * JupyterLab and the real target that ui-tests/run.sh starts (FLIGHT_TARGET_PID, FLIGHT_UI_PORT;
 * galata's server configuration: no token, no XSRF check). Run by run.sh with `node --test`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';

const PORT = process.env.FLIGHT_UI_PORT || '8899';
const BASE = `http://127.0.0.1:${PORT}/`;
const PID = Number(process.env.FLIGHT_TARGET_PID);

async function api(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * Opens the session's stream; resolves with a small client over it.
 */
function openStream(id) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${PORT}/flight/sessions/${id}/stream`);
    const messages = [];
    let waiter = null;
    socket.on('message', data => {
      messages.push(JSON.parse(String(data)));
      if (waiter) {
        waiter();
      }
    });
    socket.once('open', () =>
      resolve({
        socket,
        send: message => socket.send(JSON.stringify(message)),
        /**
         * Waits for a message that `predicate` accepts; returns every message up to it.
         */
        until(predicate, timeoutMs = 30000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(() => {
              waiter = null;
              fail(new Error(`timed out; got ${JSON.stringify(messages).slice(0, 500)}`));
            }, timeoutMs);
            const check = () => {
              const i = messages.findIndex(predicate);
              if (i >= 0) {
                clearTimeout(timer);
                waiter = null;
                done(messages.splice(0, i + 1));
              }
            };
            waiter = check;
            check();
          });
        },
        close: () =>
          new Promise(done => {
            socket.once('close', done);
            socket.close();
          })
      })
    );
    socket.once('error', reject);
  });
}

let session;

before(async () => {
  assert.ok(PID, 'FLIGHT_TARGET_PID is not set: run with ui-tests/run.sh');
  const { status, body } = await api('POST', 'flight/sessions', { pid: PID });
  assert.ok(status === 201 || status === 200, `attach: ${status} ${JSON.stringify(body)}`);
  session = body;
  assert.equal(session.pid, PID);
});

after(async () => {
  if (session) {
    await api('DELETE', `flight/sessions/${session.id}`);
  }
});

test('stack over the stream: records, then the end', async () => {
  const stream = await openStream(session.id);
  try {
    stream.send({ command: 'stack' });
    const messages = await stream.until(m => m.end);
    const end = messages.pop();
    assert.deepEqual(end, { end: true, interrupted: false });
    const records = messages.map(m => m.record);
    assert.ok(records.every(Boolean), JSON.stringify(messages).slice(0, 300));
    const stack = records.find(r => r.kind === 'stack');
    assert.ok(stack, `no stack record in ${JSON.stringify(records).slice(0, 300)}`);
    assert.equal(stack.v, 1);
    assert.equal(stack.pid, PID);
    const names = stack.threads.map(t => t.name);
    assert.ok(names.includes('MainThread'), names.join(', '));
    assert.ok(names.includes('reporter'), names.join(', '));
    const main = stack.threads.find(t => t.name === 'MainThread');
    assert.ok(main.frames.length > 0);
    assert.ok(main.frames.some(f => String(f.file).endsWith('service.py')));
  } finally {
    await stream.close();
  }
});

test('a command that does not parse is an error record or an error message', async () => {
  const stream = await openStream(session.id);
  try {
    stream.send({ command: 'stack --no-such-option' });
    const messages = await stream.until(m => m.end || m.error);
    const last = messages[messages.length - 1];
    const errors = messages.filter(m => m.error || (m.record && m.record.kind === 'error'));
    assert.ok(errors.length > 0, JSON.stringify(messages).slice(0, 300));
    if (last.end) {
      assert.equal(last.interrupted, false);
    }
  } finally {
    await stream.close();
  }
});

test('stop interrupts a running watch; its records still arrive, then end', async () => {
  const stream = await openStream(session.id);
  try {
    // the target's reporter thread calls json.dump every 50 ms
    stream.send({ command: 'watch json dump -n 100000' });
    const first = await stream.until(m => m.record && m.record.kind === 'watch');
    assert.equal(first[first.length - 1].record.method, 'json.dump');
    stream.send({ stop: true });
    const rest = await stream.until(m => m.end);
    assert.deepEqual(rest.pop(), { end: true, interrupted: true });
    const ends = rest.map(m => m.record).filter(r => r && r.kind === 'end');
    // the stream's own end record, when the agent sends one (docs/schema.md)
    for (const end of ends) {
      assert.equal(end.reason, 'stopped');
    }
    // the stream can run the next command
    stream.send({ command: 'stack' });
    const again = await stream.until(m => m.end);
    assert.ok(again.some(m => m.record && m.record.kind === 'stack'));
  } finally {
    await stream.close();
  }
});
