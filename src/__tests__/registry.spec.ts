/**
 * The view registry: other plugins add views, replace built-in ones, and group a stream's
 * records into one view.
 */
import { ViewRegistry } from '../registry';
import {
  appendRecord,
  hasView,
  recordCount,
  renderRecord,
  viewRegistry
} from '../render';
import { IOtherRecord, IRecord } from '../types';

function text(s: string): HTMLElement {
  const node = document.createElement('span');
  node.textContent = s;
  return node;
}

describe('view registry', () => {
  it('has a view for every built-in kind', () => {
    for (const kind of ['stack', 'value', 'watch', 'tt_record', 'monitor']) {
      expect(hasView(kind)).toBe(true);
    }
    expect(hasView('future')).toBe(false);
    expect(viewRegistry.get('watch')!.group).toBe(true);
    expect(viewRegistry.get('stack')!.group).toBe(false);
  });

  it('renders a kind another plugin registers, and forgets it when disposed', () => {
    const record: IRecord = { v: 1, kind: 'perf', total: 12 };
    expect(renderRecord(record).querySelector('.jp-flight-unknown')).not.toBe(
      null
    );
    const registration = viewRegistry.registerView('perf', r =>
      text(`perf: ${String(r.total)} samples`)
    );
    expect(hasView('perf')).toBe(true);
    const node = renderRecord(record);
    expect(node.getAttribute('data-kind')).toBe('perf');
    expect(node.textContent).toBe('perf: 12 samples');
    registration.dispose();
    expect(registration.isDisposed).toBe(true);
    expect(hasView('perf')).toBe(false);
  });

  it('puts a replaced view back when the replacement is disposed', () => {
    const registration = viewRegistry.registerView('message', r =>
      text(`!${r.text}`)
    );
    const record: IRecord = { v: 1, kind: 'message', text: 'hi' };
    expect(renderRecord(record).textContent).toBe('!hi');
    registration.dispose();
    expect(renderRecord(record).textContent).toBe('hi');
  });

  it('groups consecutive records of a kind registered as a group view', () => {
    const registry = new ViewRegistry();
    expect(registry.kinds()).toEqual([]);
    const registration = viewRegistry.registerGroupView('sample', first => {
      const node = document.createElement('ul');
      const rows: IOtherRecord[] = [];
      const group = {
        node,
        get size() {
          return rows.length;
        },
        add(record: IOtherRecord) {
          rows.push(record);
          node.appendChild(text(String(record.n)));
        },
        shift(n: number) {
          rows.splice(0, n);
          for (let i = 0; i < n; i++) {
            node.firstChild?.remove();
          }
        }
      };
      group.add(first);
      return group;
    });
    const container = document.createElement('div');
    for (const n of [1, 2, 3]) {
      appendRecord(container, { v: 1, kind: 'sample', n });
    }
    expect(container.children.length).toBe(1);
    expect(recordCount(container.children[0])).toBe(3);
    expect(container.textContent).toBe('123');
    registration.dispose();
  });

  it('needs a kind', () => {
    expect(() => new ViewRegistry().registerView('', () => text(''))).toThrow();
  });
});
