/**
 * The ipywidgets model and view of a streaming `%flight` magic (Python side:
 * jupyterlab_flight/widget.py). The kernel sends records as custom messages, in batches; the
 * model keeps the newest ones so a view opened late shows them, and each view is a `LiveStream`.
 *
 * The kernel is busy while the magic streams and reads no message from here: Stop goes through
 * the server extension (`POST flight/streams/stop`), and Pause is the view's own business. A
 * stream that runs outside the target (`perf`: `agent_connection` or `request` 0) is stopped by interrupting
 * the kernel, which the magic turns into a stop that keeps every sample taken so far.
 */
import {
  DOMWidgetModel,
  DOMWidgetView,
  IBackboneModelOptions
} from '@jupyter-widgets/base';
import { stopStream } from './api';
import { interruptKernel } from './interrupt';
import { LiveStream } from './live';
import { supersede } from './snapshots';
import { IRecord } from './types';

/**
 * The widget module's name: the npm package's.
 */
export const MODULE_NAME = 'jupyterlab-flight';

/**
 * The widget module's version: package.json's. The kernel asks for `^` this.
 */
export const MODULE_VERSION = '0.1.0';

/**
 * The event a model triggers with each batch of new records.
 */
const RECORDS_EVENT = 'flight:records';

/**
 * The state of a stream, synced from the kernel, and its newest records.
 */
export class FlightStreamModel extends DOMWidgetModel {
  /**
   * The most records a model keeps (and a view shows); the plugin sets it from the settings.
   */
  static maxRecords = 500;

  defaults(): { [key: string]: any } {
    return {
      ...super.defaults(),
      _model_name: 'FlightStreamModel',
      _model_module: MODULE_NAME,
      _model_module_version: `^${MODULE_VERSION}`,
      _view_name: 'FlightStreamView',
      _view_module: MODULE_NAME,
      _view_module_version: `^${MODULE_VERSION}`,
      command: '',
      pid: 0,
      agent_connection: 0,
      request: 0,
      status: 'running',
      reason: '',
      count: 0
    };
  }

  initialize(
    attributes: { [key: string]: any },
    options: IBackboneModelOptions
  ): void {
    // set here, not as field initializers: Backbone's constructor calls `initialize` before those run
    this._records = [];
    this._received = 0;
    super.initialize(attributes, options);
    this.on('msg:custom', this._onMessage, this);
  }

  /**
   * The newest records, oldest first (at most `FlightStreamModel.maxRecords`).
   */
  get records(): readonly IRecord[] {
    return this._records;
  }

  /**
   * How many records arrived in all.
   */
  get received(): number {
    return this._received;
  }

  private _onMessage(content: any): void {
    const records: unknown = content ? content.records : undefined;
    if (!Array.isArray(records) || !records.length) {
      return;
    }
    this._received += records.length;
    for (const record of records) {
      // a live snapshot (a profile while sampling) is replaced by the next one
      supersede(this._records, record);
    }
    const max = Math.max(1, FlightStreamModel.maxRecords);
    if (this._records.length > max) {
      this._records.splice(0, this._records.length - max);
    }
    this.trigger(RECORDS_EVENT, records);
  }

  private _records!: IRecord[];
  private _received!: number;
}

/**
 * A view of a stream in a notebook output.
 */
export class FlightStreamView extends DOMWidgetView {
  render(): void {
    super.render();
    const model = this.model as FlightStreamModel;
    this.el.classList.add('jp-flight-live-widget');
    const live = new LiveStream({
      command: String(model.get('command') ?? ''),
      pid: Number(model.get('pid')) || null,
      maxRecords: FlightStreamModel.maxRecords,
      onStop: () => this._stop()
    });
    this._live = live;
    this.el.appendChild(live.node);
    // a view opened late (another output of the same model, a re-render) shows what is kept
    live.add(model.records.slice());
    this._updateStatus();
    this.listenTo(model, RECORDS_EVENT, (records: IRecord[]) =>
      live.add(records)
    );
    this.listenTo(
      model,
      'change:status change:reason change:count',
      this._updateStatus
    );
  }

  remove(): any {
    this._live?.dispose();
    this._live = null;
    return super.remove();
  }

  private _updateStatus(): void {
    this._live?.setStatus(
      String(this.model.get('status') ?? 'running'),
      String(this.model.get('reason') ?? ''),
      Number(this.model.get('count')) || 0
    );
  }

  private async _stop(): Promise<string | void> {
    const pid = Number(this.model.get('pid'));
    const connection = Number(this.model.get('agent_connection'));
    const request = Number(this.model.get('request'));
    if (!(pid > 0 && connection > 0 && request > 0)) {
      // a stream that runs outside the target (perf: a sampler the kernel runs) has no agent
      // stream to name (no connection, or no request on it): the kernel's interrupt stops it,
      // and it keeps what it sampled so far
      return interruptKernel(this.model.widget_manager);
    }
    const result = await stopStream(pid, connection, request);
    if (!result.stopped) {
      // e.g. it has just ended: the kernel's status follows
      return result.message || 'the stream was not running';
    }
  }

  private _live: LiveStream | null = null;
}
