/**
 * The sidebar's results: an entry per command line (the line, the pid), its records rendered as
 * they come; consecutive records of a stream grow one table. At most `maxRecords` are kept.
 */
import { Widget } from '@lumino/widgets';
import { el } from '../dom';
import {
  FlightModel,
  IResultEntry,
  IRunningCommand,
  ResultsChange
} from '../model';
import { placeRecord, settleSnapshots, trimRecords } from '../render';
import { IRecord, MIME_TYPE } from '../types';

/**
 * The results view.
 */
export class ResultsPanel extends Widget {
  /**
   * ``openInMain``: opens an entry in the main area (the sidebar is narrow); without it, entries
   * have no Open button.
   */
  constructor(
    readonly model: FlightModel,
    readonly openInMain?: (entry: IResultEntry) => void
  ) {
    super();
    this.addClass('jp-flight-results');
    this.node.setAttribute('data-mime-type', MIME_TYPE);
    model.resultsChanged.connect(this._onChange, this);
    model.settingsChanged.connect(this._trim, this);
    model.runningChanged.connect(this._onRunning, this);
  }

  private _onRunning(_: FlightModel, running: IRunningCommand | null): void {
    const ended = this._running;
    this._running = running ? running.entry : null;
    if (ended && ended !== this._running) {
      // the command is over: a live snapshot it left (a stopped perf) is its last picture
      const node = this._entries.get(ended);
      if (node) {
        settleSnapshots(node);
      }
    }
  }

  private _onChange(_: FlightModel, change: ResultsChange): void {
    switch (change.type) {
      case 'entry': {
        const node = this._entry(change.entry);
        for (const record of change.entry.records) {
          this._add(node, record);
        }
        node.scrollIntoView({ block: 'nearest' });
        break;
      }
      case 'record': {
        const node = this._entries.get(change.entry);
        // an entry cleared while its command still runs shows nothing more
        if (node && node.isConnected) {
          this._add(node, change.record);
        }
        break;
      }
      case 'clear':
        this.node.textContent = '';
        this._count = 0;
        break;
    }
  }

  private _entry(entry: IResultEntry): HTMLElement {
    let open: HTMLElement | null = null;
    if (this.openInMain) {
      const opener = this.openInMain;
      open = el('button', {
        className: 'jp-flight-button jp-flight-open-main jp-mod-styled',
        text: 'Open',
        title: 'Open this result in the main area, at full width',
        attrs: { type: 'button' }
      });
      open.addEventListener('click', () => opener(entry));
    }
    const node = el('div', { className: 'jp-flight-entry' }, [
      el('div', { className: 'jp-flight-command' }, [
        el('span', { className: 'jp-flight-prompt', text: '✈ ' }),
        el('code', { text: entry.command }),
        el('span', {
          className: 'jp-flight-muted',
          text: ` · pid ${entry.pid}`
        }),
        open
      ])
    ]);
    this._entries.set(entry, node);
    this.node.appendChild(node);
    return node;
  }

  private _add(node: HTMLElement, record: IRecord): void {
    // consecutive watch / tt / monitor records grow one table (and chart); a live profile is
    // replaced in place by the next one
    this._count += placeRecord(node, record).added;
    this._trim();
  }

  private _trim(): void {
    this._count = trimRecords(
      this.node,
      this._count,
      this.model.settings.maxRecords
    );
  }

  private _entries = new WeakMap<IResultEntry, HTMLElement>();
  private _running: IResultEntry | null = null;
  private _count = 0;
}
