/**
 * The command language as the sidebar knows it: the descriptors that `GET flight/commands`
 * serves (names, options, traits), completion from them, and the command box's history.
 * Nothing here names a command: what a command is and does comes from its descriptor.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { ICommandDescriptor, ICommandOption } from './types';

/**
 * Splits a command line into words as the server's parser does (quotes group, backslashes
 * escape); an unterminated quote runs to the end.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) {
        quote = null;
      } else if (c === '\\' && quote === '"' && i + 1 < line.length) {
        word += line[++i];
      } else {
        word += c;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        words.push(word);
      }
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) {
    words.push(word);
  }
  return words;
}

/**
 * The descriptor of a command, by name.
 */
export function findCommand(
  commands: readonly ICommandDescriptor[],
  name: string
): ICommandDescriptor | undefined {
  return commands.find(c => c.name === name);
}

/**
 * The option a command-line word gives (`-n`, `--limits`, `--limits=5`), if any.
 */
export function optionOf(
  command: ICommandDescriptor,
  word: string
): ICommandOption | undefined {
  if (!word.startsWith('-')) {
    return undefined;
  }
  const flag = word.startsWith('--') ? word.split('=', 1)[0] : word;
  return command.options.find(o => o.flags.includes(flag));
}

/**
 * Whether any of `flags` (or another spelling of the same option) is given in `words`.
 */
export function givesAny(
  command: ICommandDescriptor,
  words: readonly string[],
  flags: readonly string[]
): boolean {
  const wanted = new Set<ICommandOption>();
  for (const flag of flags) {
    const option = optionOf(command, flag);
    if (option) {
      wanted.add(option);
    }
  }
  // the word after an option that takes a value is that value (unless it is an option: the
  // server's parser reads it as one too)
  for (let i = 1; i < words.length; i++) {
    const option = optionOf(command, words[i]);
    if (!option) {
      continue;
    }
    if (wanted.has(option)) {
      return true;
    }
    const next = words[i + 1];
    if (
      option.takes_value &&
      !words[i].includes('=') &&
      next !== undefined &&
      !optionOf(command, next)
    ) {
      i++;
    }
  }
  return false;
}

/**
 * Whether a command line streams (records until its `end`): its descriptor's `streams`, or
 * one of its `streams_when` options given. Unknown commands do not.
 */
export function commandStreams(
  commands: readonly ICommandDescriptor[],
  line: string
): boolean {
  const words = splitWords(line);
  const command = words.length ? findCommand(commands, words[0]) : undefined;
  if (!command) {
    return false;
  }
  if (command.streams_when.length) {
    return givesAny(command, words, command.streams_when);
  }
  return command.streams;
}

/**
 * Whether a command line is an interactive loop (`console` without `-c`): its descriptor's
 * `interactive_unless` options are all absent.
 */
export function isInteractive(
  commands: readonly ICommandDescriptor[],
  line: string
): boolean {
  const words = splitWords(line);
  const command = words.length ? findCommand(commands, words[0]) : undefined;
  if (!command || !command.interactive_unless?.length) {
    return false;
  }
  return !givesAny(command, words, command.interactive_unless);
}

/**
 * Whether after a command line the front door forgets its session (`ends_session`).
 */
export function endsSession(
  commands: readonly ICommandDescriptor[],
  line: string
): boolean {
  const words = splitWords(line);
  const command = words.length ? findCommand(commands, words[0]) : undefined;
  return !!command?.ends_session;
}

function longestCommonPrefix(words: readonly string[]): string {
  let common = words[0] ?? '';
  for (const w of words) {
    while (!w.startsWith(common)) {
      common = common.slice(0, -1);
    }
  }
  return common;
}

function complete(
  text: string,
  prefix: string,
  choices: readonly string[]
): { text: string; candidates: string[] } {
  const candidates = choices.filter(c => c.startsWith(prefix));
  if (candidates.length === 0) {
    return { text, candidates };
  }
  const head = text.slice(0, text.length - prefix.length);
  if (candidates.length === 1) {
    return { text: `${head}${candidates[0]} `, candidates };
  }
  const common = longestCommonPrefix(candidates);
  return {
    text: common.length > prefix.length ? `${head}${common}` : text,
    candidates
  };
}

/**
 * Completes the word being typed: a command name (the first word), or an option flag of the
 * command being typed (a word that starts with `-`). Returns the new text and the candidates
 * (several when the prefix is ambiguous; every name for an empty line).
 */
export function completeCommand(
  text: string,
  commands: readonly ICommandDescriptor[]
): { text: string; candidates: string[] } {
  const names = commands.map(c => c.name);
  const typed = text.replace(/^\s+/, '');
  if (typed === '') {
    return { text, candidates: names };
  }
  if (!/\s/.test(typed)) {
    return complete(typed, typed, names);
  }
  const current = /(\S*)$/.exec(typed)![1];
  const before = typed.slice(0, typed.length - current.length);
  const open =
    (before.match(/'/g) ?? []).length % 2 === 1 ||
    (before.match(/"/g) ?? []).length % 2 === 1;
  const command = findCommand(commands, splitWords(typed)[0]);
  if (!current.startsWith('-') || open || !command) {
    return { text, candidates: [] };
  }
  const flags = ([] as string[]).concat(...command.options.map(o => o.flags));
  const result = complete(typed, current, flags);
  return result.candidates.length ? result : { text, candidates: [] };
}

/**
 * The command descriptors as the server last served them (`GET flight/commands`).
 */
export interface ICommandList {
  /**
   * The descriptors, by name (empty until they are loaded).
   */
  readonly descriptors: readonly ICommandDescriptor[];
  /**
   * Whether they have been loaded.
   */
  readonly loaded: boolean;
  /**
   * Emitted when the descriptors change.
   */
  readonly changed: ISignal<ICommandList, readonly ICommandDescriptor[]>;
  /**
   * The descriptor of a command, by name.
   */
  get(name: string): ICommandDescriptor | undefined;
  /**
   * Whether a command line streams.
   */
  streams(line: string): boolean;
}

/**
 * The command descriptors.
 */
export class CommandList implements ICommandList {
  get descriptors(): readonly ICommandDescriptor[] {
    return this._descriptors;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get changed(): ISignal<this, readonly ICommandDescriptor[]> {
    return this._changed;
  }

  get(name: string): ICommandDescriptor | undefined {
    return findCommand(this._descriptors, name);
  }

  streams(line: string): boolean {
    return commandStreams(this._descriptors, line);
  }

  /**
   * Sets the descriptors (as `GET flight/commands` answered).
   */
  set(descriptors: readonly ICommandDescriptor[]): void {
    this._descriptors = descriptors.slice();
    this._loaded = true;
    this._changed.emit(this._descriptors);
  }

  private _descriptors: readonly ICommandDescriptor[] = [];
  private _loaded = false;
  private _changed = new Signal<this, readonly ICommandDescriptor[]>(this);
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
