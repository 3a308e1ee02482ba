/**
 * Records -> views. The MIME renderer and the sidebar both use `renderRecord`.
 */
import { el, str } from './dom';
import { IPayload, IRecord, MIME_TYPE } from './types';
import {
  renderConsole,
  renderError,
  renderGc,
  renderHelp,
  renderMessage,
  renderModule,
  renderProcesses,
  renderSessions,
  renderUnknown,
  renderValue
} from './views/records';
import { renderStack } from './views/stack';

/**
 * A view of one record kind.
 */
export type RecordView = (record: IRecord) => HTMLElement;

/**
 * The view of each known record kind.
 */
export const VIEWS: { [kind: string]: RecordView } = {
  stack: renderStack,
  value: renderValue,
  console: renderConsole,
  gc: renderGc,
  module: renderModule,
  help: renderHelp,
  message: renderMessage,
  error: renderError,
  processes: renderProcesses,
  sessions: renderSessions
};

/**
 * Renders one record; a view that throws is shown as an error, never breaks the output.
 */
export function renderRecord(record: IRecord): HTMLElement {
  const kind = record && typeof record === 'object' ? str(record.kind) : '';
  const view = Object.prototype.hasOwnProperty.call(VIEWS, kind)
    ? VIEWS[kind]
    : renderUnknown;
  let node: HTMLElement;
  try {
    node = view(record);
  } catch (reason) {
    node = el('div', { className: 'jp-flight-error' }, [
      el('span', {
        className: 'jp-flight-error-title',
        text: `cannot show this ${kind} record: ${String(reason)}`
      })
    ]);
  }
  const wrapper = el('div', {
    className: `jp-flight-record jp-flight-kind-${kind.replace(/[^a-z0-9_-]/gi, '')}`,
    attrs: { 'data-kind': kind }
  });
  wrapper.appendChild(node);
  return wrapper;
}

/**
 * Renders a whole MIME payload: a header line, then every record.
 */
export function renderPayload(payload: IPayload): HTMLElement {
  const root = el('div', {
    className: 'jp-flight-output',
    attrs: { 'data-mime-type': MIME_TYPE }
  });
  if (
    !payload ||
    typeof payload !== 'object' ||
    !Array.isArray(payload.records)
  ) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-error',
        text: 'not a jupyterlab-flight result'
      })
    );
    return root;
  }
  if (payload.v !== 1) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `result schema v${str(payload.v)}; this extension reads v1`
      })
    );
  }
  if (payload.command) {
    root.appendChild(
      el('div', { className: 'jp-flight-command' }, [
        el('span', { className: 'jp-flight-prompt', text: '✈ ' }),
        el('code', { text: str(payload.command) }),
        payload.pid !== null && payload.pid !== undefined
          ? el('span', {
              className: 'jp-flight-muted',
              text: ` · pid ${payload.pid}`
            })
          : null
      ])
    );
  }
  for (const record of payload.records) {
    root.appendChild(renderRecord(record));
  }
  if (payload.cut) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-value-note',
        text: 'Some records were too large for a notebook and were cut.'
      })
    );
  }
  return root;
}
