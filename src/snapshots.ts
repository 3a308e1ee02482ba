/**
 * Live snapshots: a record with `"live": true` (a `profile` while `perf` samples) stands for
 * the state so far, and the next record of its kind in the same stream supersedes it. Views,
 * the sidebar's results and the live widgets keep only the newest (docs/schema.md).
 */
import { IRecord } from './types';

/**
 * Whether a record is a live snapshot.
 */
export function isLive(record: IRecord | null | undefined): boolean {
  return (
    !!record &&
    typeof record === 'object' &&
    (record as { live?: unknown }).live === true
  );
}

/**
 * Puts `record` in a list of a stream's records: in place of the live snapshot it supersedes
 * (the last record of its kind, when that is live), else at the end. Returns whether it
 * superseded one (the list did not grow).
 */
export function supersede(records: IRecord[], record: IRecord): boolean {
  const kind = record && typeof record === 'object' ? record.kind : undefined;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    if (r && r.kind === kind) {
      if (isLive(r)) {
        records[i] = record;
        return true;
      }
      break;
    }
  }
  records.push(record);
  return false;
}
