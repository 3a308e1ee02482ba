/**
 * A sidebar result opened in the main area: the same records at full width (the sidebar gives a
 * result about 270 px), kept growing while its command still runs.
 */
import { Widget } from '@lumino/widgets';
import { el } from '../dom';
import { FlightModel, IResultEntry, ResultsChange } from '../model';
import { placeRecord, settleSnapshots } from '../render';
import { IRecord, MIME_TYPE } from '../types';

export class ResultView extends Widget {
  constructor(
    readonly model: FlightModel,
    readonly entry: IResultEntry
  ) {
    super();
    this.addClass('jp-flight-result-view');
    this.node.setAttribute('data-mime-type', MIME_TYPE);
    this.title.label = `Flight: ${entry.command}`;
    this.title.caption = `${entry.command} · pid ${entry.pid}`;
    this.title.closable = true;
    this.node.appendChild(
      el('div', { className: 'jp-flight-command' }, [
        el('span', { className: 'jp-flight-prompt', text: '✈ ' }),
        el('code', { text: entry.command }),
        el('span', {
          className: 'jp-flight-muted',
          text: ` · pid ${entry.pid}`
        })
      ])
    );
    this._body = el('div', { className: 'jp-flight-entry' });
    this.node.appendChild(this._body);
    for (const record of entry.records) {
      this._add(record);
    }
    model.resultsChanged.connect(this._onChange, this);
    model.runningChanged.connect(this._onRunning, this);
  }

  private _add(record: IRecord): void {
    placeRecord(this._body, record);
  }

  private _onChange(_: FlightModel, change: ResultsChange): void {
    if (change.type === 'record' && change.entry === this.entry) {
      this._add(change.record);
    }
  }

  private _onRunning(): void {
    const running = this.model.running;
    if (!running || running.entry !== this.entry) {
      settleSnapshots(this._body); // the command is over: a live snapshot is its last picture
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.resultsChanged.disconnect(this._onChange, this);
    this.model.runningChanged.disconnect(this._onRunning, this);
    super.dispose();
  }

  private _body: HTMLElement;
}
