/**
 * The live view of a streaming `%flight` magic (watch, trace, tt -t, monitor) in a notebook
 * output: the command, its state, Pause and Stop, then the records as they arrive.
 *
 * Plain DOM on purpose: src/widget.ts wraps it in an ipywidgets view, and tests use it without a
 * widget manager.
 */
import { el, str } from './dom';
import { placeRecord, settleSnapshots, trimRecords } from './render';
import { supersede } from './snapshots';
import { IRecord, MIME_TYPE } from './types';

/**
 * What the view shows: the stream runs (and records show), runs but records are held, or ended.
 */
export type LiveStatus = 'running' | 'paused' | 'ended';

/**
 * Options of a `LiveStream`.
 */
export interface ILiveStreamOptions {
  /**
   * The command line, e.g. `watch __main__ handle -n 100`.
   */
  command: string;
  /**
   * The target's pid.
   */
  pid?: number | null;
  /**
   * The most records shown; older ones are dropped (default 500).
   */
  maxRecords?: number;
  /**
   * Asks for the stream to stop. Resolves with nothing when the stop was accepted (the view says
   * "stopping…" until the stream ends), with a message to show otherwise; rejects when it
   * cannot stop the stream.
   */
  onStop: () => Promise<string | void>;
}

/**
 * What a user can still do when the stop call fails: the magic runs in the kernel.
 */
export const INTERRUPT_HINT = 'interrupt the kernel (■) to stop it';

const DEFAULT_MAX_RECORDS = 500;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The live view of one stream.
 */
export class LiveStream {
  constructor(options: ILiveStreamOptions) {
    this._onStop = options.onStop;
    this._maxRecords = LiveStream._limit(options.maxRecords);

    this._badge = el('span', {
      className: 'jp-flight-badge jp-flight-live-status',
      attrs: { role: 'status' }
    });
    this._countNode = el('span', {
      className: 'jp-flight-muted jp-flight-live-count'
    });
    this._pauseButton = el('button', {
      className:
        'jp-flight-button jp-flight-live-pause jp-mod-styled jp-mod-reject',
      attrs: { type: 'button', 'aria-pressed': 'false' }
    });
    this._pauseButton.addEventListener('click', () => {
      if (this._paused) {
        this.resume();
      } else {
        this.pause();
      }
    });
    this._stopButton = el('button', {
      className:
        'jp-flight-button jp-flight-live-stop jp-mod-styled jp-mod-warn',
      text: 'Stop',
      title: 'Stop the stream in the target (what it recorded so far stays)',
      attrs: { type: 'button' }
    });
    this._stopButton.addEventListener('click', () => void this.stop());
    this._heldNode = el('div', { className: 'jp-flight-live-held' });
    this._note = el('div', {
      className: 'jp-flight-live-note',
      attrs: { 'aria-live': 'polite' }
    });
    this._records = el('div', {
      className: 'jp-flight-live-records',
      attrs: { 'data-mime-type': MIME_TYPE }
    });

    const pid = options.pid;
    this.node = el('div', { className: 'jp-flight-live jp-flight-output' }, [
      el('div', { className: 'jp-flight-live-header' }, [
        el('div', { className: 'jp-flight-command jp-flight-live-command' }, [
          el('span', { className: 'jp-flight-prompt', text: '✈ ' }),
          el('code', { text: str(options.command) }),
          pid !== null && pid !== undefined && pid !== 0
            ? el('span', {
                className: 'jp-flight-muted',
                text: ` · pid ${pid}`
              })
            : null
        ]),
        this._badge,
        this._countNode,
        el('span', { className: 'jp-flight-live-buttons' }, [
          this._pauseButton,
          this._stopButton
        ])
      ]),
      this._heldNode,
      this._note,
      this._records
    ]);
    this._setNote('', false);
    this._update();
  }

  /**
   * The view's root node.
   */
  readonly node: HTMLElement;

  /**
   * What the view shows now.
   */
  get status(): LiveStatus {
    if (this._ended) {
      return 'ended';
    }
    return this._paused ? 'paused' : 'running';
  }

  /**
   * How many records were given to `add`.
   */
  get received(): number {
    return this._received;
  }

  /**
   * How many records are shown.
   */
  get shown(): number {
    return this._shown;
  }

  /**
   * How many records arrived while paused and are not shown yet.
   */
  get held(): number {
    return this._heldCount;
  }

  /**
   * The most records shown; setting it drops the oldest ones beyond it.
   */
  get maxRecords(): number {
    return this._maxRecords;
  }

  set maxRecords(value: number) {
    this._maxRecords = LiveStream._limit(value);
    this._shown = trimRecords(this._records, this._shown, this._maxRecords);
    this._update();
  }

  /**
   * Whether `dispose` was called.
   */
  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Adds records, in the order they were produced: shown now, or held while paused.
   */
  add(records: IRecord[]): void {
    if (this._disposed || !Array.isArray(records) || !records.length) {
      return;
    }
    this._received += records.length;
    if (this._paused) {
      this._heldCount += records.length;
      for (const record of records) {
        // a held live snapshot is replaced by the next one: Resume shows the newest
        if (supersede(this._held, record)) {
          this._superseded++;
        }
      }
      // what is held beyond the limit would be dropped as soon as it shows: keep the newest only
      if (this._held.length > this._maxRecords) {
        this._held.splice(0, this._held.length - this._maxRecords);
      }
    } else {
      this._show(records);
    }
    this._update();
  }

  /**
   * Takes the stream's state from the kernel: `status` is `running` or `ended`, `reason` why it
   * ended, `count` how many records the kernel sent so far.
   */
  setStatus(status: string, reason = '', count?: number): void {
    if (this._disposed) {
      return;
    }
    if (typeof count === 'number' && isFinite(count) && count >= 0) {
      this._count = count;
    }
    this._reason = str(reason);
    const ended = status === 'ended';
    if (ended && !this._ended) {
      this._ended = true;
      this._stopping = false;
      // a failed stop no longer matters (nor the advice to interrupt the kernel)
      this._setNote('', false);
      // Resume is about to be disabled: show what was held rather than hide it for good
      this._paused = false;
      this._flush();
      settleSnapshots(this._records);
    }
    this._ended = ended;
    this._update();
  }

  /**
   * Holds the records that arrive from now on (nothing is lost); `resume` shows them.
   */
  pause(): void {
    if (this._disposed || this._ended || this._paused) {
      return;
    }
    this._paused = true;
    this._update();
  }

  /**
   * Shows the held records and the ones that follow.
   */
  resume(): void {
    if (this._disposed || !this._paused) {
      return;
    }
    this._paused = false;
    this._flush();
    this._update();
  }

  /**
   * What the Stop button does: calls `onStop` and says how that went.
   */
  async stop(): Promise<void> {
    if (this._disposed || this._ended || this._stopping) {
      return;
    }
    this._stopping = true;
    this._setNote('', false);
    this._update();
    let message: string | void;
    try {
      message = await this._onStop();
    } catch (reason) {
      if (this._disposed) {
        return;
      }
      this._stopping = false;
      const text = reason instanceof Error ? reason.message : str(reason);
      this._setNote(
        `cannot stop: ${text || 'no answer'}; ${INTERRUPT_HINT}`,
        true
      );
      this._update();
      return;
    }
    if (this._disposed) {
      return;
    }
    if (message) {
      // not stopped, and not an error (e.g. it has just ended): say so, and allow another try
      this._stopping = false;
      this._setNote(message, false);
    }
    this._update();
  }

  /**
   * Removes the view's content; later calls do nothing.
   */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._held = [];
    this.node.remove();
    this.node.textContent = '';
  }

  private static _limit(max: number | undefined): number {
    return typeof max === 'number' && isFinite(max) && max >= 1
      ? Math.floor(max)
      : DEFAULT_MAX_RECORDS;
  }

  private _show(records: IRecord[]): void {
    let added = 0;
    for (const record of records) {
      // consecutive watch / tt / monitor records grow one table (and chart); a live profile
      // is replaced in place by the next one
      added += placeRecord(this._records, record).added;
    }
    this._superseded += records.length - added;
    this._shown = trimRecords(
      this._records,
      this._shown + added,
      this._maxRecords
    );
  }

  private _flush(): void {
    const held = this._held;
    this._held = [];
    this._heldCount = 0;
    if (held.length) {
      this._show(held);
    }
  }

  private _setNote(text: string, error: boolean): void {
    this._note.textContent = text;
    this._note.hidden = !text;
    this._note.classList.toggle('jp-flight-live-error', error);
  }

  private _update(): void {
    if (this._disposed) {
      return;
    }
    const status = this.status;
    this.node.dataset.status = status;
    this.node.classList.toggle('jp-mod-paused', status === 'paused');
    this.node.classList.toggle('jp-mod-ended', status === 'ended');

    let badge: string;
    if (status === 'ended') {
      badge = this._reason ? `ended: ${this._reason}` : 'ended';
    } else if (this._stopping) {
      badge = 'stopping…';
    } else {
      badge = status === 'paused' ? 'paused' : 'streaming…';
    }
    this._badge.textContent = badge;

    // the kernel's count may run ahead of the messages, and a late view gets only the newest
    const total = Math.max(this._count, this._received);
    let count = plural(total, 'record');
    // live snapshots that a newer one replaced are not missing
    if (this._shown < total - this._heldCount - this._superseded) {
      count += ` · showing the latest ${this._shown}`;
    }
    this._countNode.textContent = count;

    this._heldNode.hidden = status !== 'paused';
    this._heldNode.textContent =
      status !== 'paused'
        ? ''
        : this._heldCount
          ? `${plural(this._heldCount, 'new record')} held: Resume shows them`
          : 'paused: new records are held until you resume';

    this._pauseButton.textContent = this._paused ? 'Resume' : 'Pause';
    this._pauseButton.title = this._paused
      ? 'Show the held records and the ones that follow'
      : 'Hold new records here (nothing is lost); Resume shows them';
    this._pauseButton.setAttribute('aria-pressed', String(this._paused));
    this._pauseButton.classList.toggle('jp-mod-accept', this._paused);
    this._pauseButton.classList.toggle('jp-mod-reject', !this._paused);
    this._pauseButton.disabled = status === 'ended';
    this._stopButton.disabled = status === 'ended' || this._stopping;
  }

  private _onStop: () => Promise<string | void>;
  private _maxRecords: number;
  private _badge: HTMLElement;
  private _countNode: HTMLElement;
  private _pauseButton: HTMLButtonElement;
  private _stopButton: HTMLButtonElement;
  private _heldNode: HTMLElement;
  private _note: HTMLElement;
  private _records: HTMLElement;
  private _held: IRecord[] = [];
  private _heldCount = 0;
  private _received = 0;
  private _shown = 0;
  private _superseded = 0;
  private _count = 0;
  private _reason = '';
  private _paused = false;
  private _ended = false;
  private _stopping = false;
  private _disposed = false;
}
