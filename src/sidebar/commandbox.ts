/**
 * The sidebar's command box: where commands run, the command line (Tab completes from the
 * command descriptors, up and down walk the history), Run / Stop / Clear, and the status line.
 */
import { Widget } from '@lumino/widgets';
import { completeCommand, isInteractive } from '../commands';
import { el } from '../dom';
import { FlightModel } from '../model';

const COMMAND_PLACEHOLDER = 'stack, help… (Tab, ↑)';

/**
 * The command section.
 */
export class CommandBox extends Widget {
  constructor(readonly model: FlightModel) {
    super();
    this.addClass('jp-flight-section');
    this.addClass('jp-flight-command-section');
    this._input = el('input', {
      className: 'jp-flight-command-input jp-mod-styled',
      attrs: {
        type: 'text',
        placeholder: COMMAND_PLACEHOLDER,
        'aria-label': 'Command',
        autocomplete: 'off',
        spellcheck: 'false'
      }
    }) as HTMLInputElement;
    this._hint = el('div', { className: 'jp-flight-hint jp-flight-muted' });
    this._input.addEventListener('keydown', event => this._onKey(event));
    this._runButton = el('button', {
      className: 'jp-flight-button jp-mod-styled jp-mod-accept',
      text: 'Run'
    }) as HTMLButtonElement;
    this._runButton.addEventListener('click', () => this._submit());
    this._stopButton = el('button', {
      className: 'jp-flight-button jp-flight-stop jp-mod-styled',
      text: 'Stop',
      title: 'Interrupt the running command in the target'
    }) as HTMLButtonElement;
    this._stopButton.disabled = true;
    this._stopButton.addEventListener('click', () => model.stop());
    const clear = el('button', {
      className: 'jp-flight-button jp-mod-styled',
      text: 'Clear',
      title: 'Clear the results'
    });
    clear.addEventListener('click', () => model.clearResults());
    this._target = el('div', { className: 'jp-flight-target jp-flight-muted' });
    this._status = el('div', {
      className: 'jp-flight-status',
      attrs: { role: 'status' }
    });
    this.node.appendChild(this._target);
    this.node.appendChild(
      el('div', { className: 'jp-flight-row' }, [this._input])
    );
    this.node.appendChild(this._hint);
    this.node.appendChild(
      el('div', { className: 'jp-flight-row jp-flight-command-buttons' }, [
        this._runButton,
        this._stopButton,
        clear
      ])
    );
    this.node.appendChild(this._status);

    model.sessionsChanged.connect(this._update, this);
    model.selectedChanged.connect(this._update, this);
    model.runningChanged.connect(this._update, this);
    model.statusChanged.connect((_, status) => {
      this._status.textContent = status.text;
      this._status.classList.toggle('jp-flight-status-error', status.error);
    }, this);
    model.attached.connect(() => this.focus(), this);
    this._update();
  }

  /**
   * Focuses the command line.
   */
  focus(): void {
    this._input.focus();
  }

  private _update(): void {
    const session = this.model.session;
    const running = this.model.running !== null;
    this._target.textContent = session
      ? `Commands run in pid ${session.pid}`
      : 'Attach to a process to run commands';
    this._input.disabled = !session;
    this._runButton.disabled = !session || running;
    this._stopButton.disabled = !running;
  }

  private _onKey(event: KeyboardEvent): void {
    const history = this.model.history;
    if (event.key === 'Enter') {
      event.preventDefault();
      this._submit();
    } else if (event.key === 'Tab' && this._console !== null) {
      event.preventDefault(); // in the console, Tab indents
      this._input.setRangeText(
        '    ',
        this._input.selectionStart ?? this._input.value.length,
        this._input.selectionEnd ?? this._input.value.length,
        'end'
      );
    } else if (event.key === 'Tab' && !event.shiftKey) {
      event.preventDefault();
      const typed = this._input.value;
      const { text, candidates } = completeCommand(
        typed,
        this.model.commands.descriptors
      );
      // past the command's name, a word that is not a flag may name something in the target
      if (candidates.length || !/\S\s/.test(typed)) {
        this._showCompletion(text, candidates);
      } else {
        // a module, class, function or field: the attached target knows them
        void this.model.complete(typed).then(found => {
          if (found && this._input.value === typed) {
            this._showCompletion(found.text, found.candidates);
          }
        });
      }
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      this._input.value = history.previous(this._input.value);
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      this._input.value = history.next();
    } else if (event.key === 'Escape') {
      if (this._console !== null) {
        this._leaveConsole();
      } else {
        this._hint.textContent = '';
      }
    }
  }

  private _showCompletion(text: string, candidates: readonly string[]): void {
    this._input.value = text;
    this._hint.textContent =
      candidates.length > 1 ? candidates.slice(0, 40).join('  ') : '';
  }

  private _submit(): void {
    const line = this._input.value;
    this._input.value = '';
    this._hint.textContent = '';
    if (this._console !== null) {
      void this._consoleLine(line);
    } else if (isInteractive(this.model.commands.descriptors, line)) {
      this._enterConsole();
    } else {
      void this.model.run(line);
    }
  }

  /**
   * `console` without -c: the box becomes a Python prompt in the target (one namespace, as the
   * terminal's console). An open block waits for more lines (an empty line ends it); `exit()`
   * or Escape leaves.
   */
  private _enterConsole(): void {
    this._console = [];
    this.node.classList.add('jp-mod-console');
    this._setPrompt();
    this.model.history.push('console');
  }

  private _leaveConsole(): void {
    this._console = null;
    this.node.classList.remove('jp-mod-console');
    this._input.placeholder = COMMAND_PLACEHOLDER;
    this._hint.textContent = '';
  }

  private _setPrompt(): void {
    const open = !!this._console?.length;
    this._input.placeholder = open
      ? '... (an empty line runs the block)'
      : '>>> Python in the target (exit() or Esc leaves)';
    this._hint.textContent = open
      ? this._console!.map((l, i) => (i ? '... ' : '>>> ') + l).join('\n')
      : 'console: Python in the target, in a private namespace';
  }

  private async _consoleLine(line: string): Promise<void> {
    const buffer = this._console!;
    if (
      !buffer.length &&
      ['exit()', 'quit()', 'exit', 'quit'].includes(line.trim())
    ) {
      this._leaveConsole();
      return;
    }
    if (!buffer.length && !line.trim()) {
      return;
    }
    buffer.push(line);
    const answer = await this.model.runConsole(buffer.join('\n'));
    if (this._console === buffer && answer === 'done') {
      buffer.length = 0; // run: the next line starts a new snippet
    }
    if (this._console !== null) {
      this._setPrompt();
    }
  }

  private _console: string[] | null = null; // the console's open block, or null: commands
  private _input: HTMLInputElement;
  private _hint: HTMLElement;
  private _runButton: HTMLButtonElement;
  private _stopButton: HTMLButtonElement;
  private _target: HTMLElement;
  private _status: HTMLElement;
}
