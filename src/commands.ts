/**
 * The command language as the command box knows it: names for completion.
 */

/**
 * The commands of the language (`help` lists them with their options).
 */
export const COMMAND_NAMES = [
  'help',
  'stack',
  'getglobal',
  'vmtool',
  'module',
  'console',
  'watch',
  'trace',
  'tt',
  'monitor',
  'detach'
];

/**
 * Streaming commands that record calls until a `-n` limit: the sidebar adds the
 * `defaultLimit` setting when the command line gives none.
 */
export function withDefaultLimit(command: string, limit: number): string {
  const words = command.trim().split(/\s+/);
  const limited =
    words[0] === 'watch' ||
    words[0] === 'trace' ||
    (words[0] === 'tt' && words.includes('-t'));
  const hasLimit = words.some(w => w === '-n' || w === '--limits');
  if (!limited || hasLimit || !Number.isFinite(limit) || limit < 1) {
    return command;
  }
  return `${command.trim()} -n ${Math.floor(limit)}`;
}

/**
 * Completes the command name being typed. Returns the new text and the candidates
 * (several when the prefix is ambiguous). Only the first word is completed.
 */
export function completeCommand(
  text: string,
  names: string[] = COMMAND_NAMES
): { text: string; candidates: string[] } {
  if (/\s/.test(text.replace(/^\s+/, '')) || text.trim() === '') {
    return { text, candidates: text.trim() === '' ? names.slice() : [] };
  }
  const prefix = text.trim();
  const candidates = names.filter(name => name.startsWith(prefix));
  if (candidates.length === 0) {
    return { text, candidates };
  }
  if (candidates.length === 1) {
    return { text: `${candidates[0]} `, candidates };
  }
  let common = candidates[0];
  for (const c of candidates) {
    while (!c.startsWith(common)) {
      common = common.slice(0, -1);
    }
  }
  return { text: common.length > prefix.length ? common : text, candidates };
}

/**
 * Command history: newest last, no consecutive duplicates, bounded; walks with up/down.
 */
export class CommandHistory {
  constructor(
    entries: string[] = [],
    readonly limit = 100
  ) {
    this._entries = entries.slice(-limit);
    this._cursor = this._entries.length;
  }

  /**
   * The entries, oldest first.
   */
  get entries(): string[] {
    return this._entries.slice();
  }

  /**
   * Adds a command line run now.
   */
  push(line: string): void {
    const text = line.trim();
    if (text && this._entries[this._entries.length - 1] !== text) {
      this._entries.push(text);
      if (this._entries.length > this.limit) {
        this._entries.shift();
      }
    }
    this._cursor = this._entries.length;
    this._draft = '';
  }

  /**
   * The previous entry (ArrowUp); `current` is kept as the draft to come back to.
   */
  previous(current: string): string {
    if (this._cursor === this._entries.length) {
      this._draft = current;
    }
    if (this._cursor > 0) {
      this._cursor--;
    }
    return this._entries[this._cursor] ?? current;
  }

  /**
   * The next entry (ArrowDown), then the draft.
   */
  next(): string {
    if (this._cursor < this._entries.length) {
      this._cursor++;
    }
    return this._cursor === this._entries.length
      ? this._draft
      : this._entries[this._cursor];
  }

  private _entries: string[];
  private _cursor: number;
  private _draft = '';
}
