/**
 * The views of record kinds, by kind: the MIME renderer, the sidebar and the live widgets find
 * a record's view here, and other plugins add theirs (through `IFlight.views`).
 */
import { IDisposable } from '@lumino/disposable';
import { IOtherRecord, IRecord, IRecordKinds, RecordKind } from './types';

/**
 * A view of one record.
 */
export type RecordView<R = IRecord> = (record: R) => HTMLElement;

/**
 * A view that grows as records of its kind arrive: consecutive records of one kind shown
 * together (one table, one chart), as `watch`, `tt_record` and `monitor` are.
 */
export interface IRecordGroup<R = IRecord> {
  readonly node: HTMLElement;
  /**
   * How many records it shows.
   */
  readonly size: number;
  add(record: R): void;
  /**
   * Drops the oldest `n` records.
   */
  shift(n: number): void;
  /**
   * Whether the next record of its kind joins this view (default: it does). A view of live
   * snapshots (`profile`) takes only the record that supersedes its own.
   */
  accepts?(record: R): boolean;
  /**
   * Whether a record of another kind joins this view too (gilstat's view takes its stream's
   * `gil_event` and `gil_stats` records alike).
   */
  joins?(record: IRecord): boolean;
  /**
   * The stream is over: a live snapshot shown now is the last picture (no newer one comes).
   */
  settle?(): void;
}

/**
 * Makes the group view of a stream from its first record.
 */
export type GroupView<R = IRecord> = (first: R) => IRecordGroup<R>;

/**
 * What is registered for a kind: a view of each record, or a group view of consecutive ones.
 */
export type ViewEntry =
  | { readonly group: false; readonly view: RecordView }
  | { readonly group: true; readonly view: GroupView };

/**
 * The view registry.
 */
export interface IViewRegistry {
  /**
   * Registers the view of a record kind, in place of what was registered for it; disposing of
   * the result puts the previous one back.
   */
  registerView<K extends RecordKind>(
    kind: K,
    view: RecordView<IRecordKinds[K]>
  ): IDisposable;
  registerView(kind: string, view: RecordView<IOtherRecord>): IDisposable;
  /**
   * Registers a group view: consecutive records of `kind` go to one view that grows.
   */
  registerGroupView<K extends RecordKind>(
    kind: K,
    view: GroupView<IRecordKinds[K]>
  ): IDisposable;
  registerGroupView(kind: string, view: GroupView<IOtherRecord>): IDisposable;
  /**
   * Whether a kind has a view (else its records show through the fallback).
   */
  hasView(kind: string): boolean;
  /**
   * What is registered for a kind.
   */
  get(kind: string): ViewEntry | undefined;
  /**
   * The kinds that have a view.
   */
  kinds(): string[];
}

/**
 * A registry of record views.
 */
export class ViewRegistry implements IViewRegistry {
  registerView(kind: string, view: RecordView<any>): IDisposable {
    return this._set(kind, { group: false, view });
  }

  registerGroupView(kind: string, view: GroupView<any>): IDisposable {
    return this._set(kind, { group: true, view });
  }

  hasView(kind: string): boolean {
    return this._entries.has(kind);
  }

  get(kind: string): ViewEntry | undefined {
    return this._entries.get(kind);
  }

  kinds(): string[] {
    return Array.from(this._entries.keys());
  }

  private _set(kind: string, entry: ViewEntry): IDisposable {
    if (!kind || typeof kind !== 'string') {
      throw new Error('a view needs a record kind');
    }
    const previous = this._entries.get(kind);
    this._entries.set(kind, entry);
    let disposed = false;
    return {
      get isDisposed() {
        return disposed;
      },
      dispose: () => {
        if (disposed) {
          return;
        }
        disposed = true;
        // only if nothing replaced it since
        if (this._entries.get(kind) === entry) {
          if (previous) {
            this._entries.set(kind, previous);
          } else {
            this._entries.delete(kind);
          }
        }
      }
    };
  }

  private _entries = new Map<string, ViewEntry>();
}
