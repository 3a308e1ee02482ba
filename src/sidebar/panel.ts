/**
 * The Flight sidebar: a header, then its panels (processes, sessions, the command box, the
 * results), each a widget that reads the model's signals.
 */
import { PanelLayout, Widget } from '@lumino/widgets';
import { el } from '../dom';
import { FlightModel, IResultEntry } from '../model';
import { ISession } from '../types';
import { CommandBox } from './commandbox';
import { ProcessesPanel } from './processes';
import { ResultsPanel } from './results';
import { SessionsPanel } from './sessions';

/**
 * The sidebar's header.
 */
class FlightHeader extends Widget {
  constructor() {
    super();
    this.addClass('jp-flight-header');
    this.node.appendChild(
      el('span', { className: 'jp-flight-header-title', text: 'Flight' })
    );
    this.node.appendChild(
      el('span', {
        className: 'jp-flight-muted',
        text: 'live diagnostics of Python processes'
      })
    );
  }
}

/**
 * The Flight sidebar panel.
 */
export class FlightPanel extends Widget {
  constructor(options: FlightPanel.IOptions = {}) {
    super();
    this.model = options.model ?? new FlightModel();
    this._ownsModel = !options.model;
    this.id = 'jupyterlab-flight-sidebar';
    this.addClass('jp-flight-panel');
    this.title.caption = 'Flight: live diagnostics of Python processes';
    const layout = new PanelLayout();
    this.layout = layout;
    this.commandBox = new CommandBox(this.model);
    layout.addWidget(new FlightHeader());
    layout.addWidget(new ProcessesPanel(this.model));
    layout.addWidget(new SessionsPanel(this.model));
    layout.addWidget(this.commandBox);
    layout.addWidget(new ResultsPanel(this.model, options.openInMain));
    this.model.runningChanged.connect((_, running) => {
      this.node.classList.toggle('jp-mod-running', running !== null);
    }, this);
  }

  /**
   * The sidebar's state.
   */
  readonly model: FlightModel;

  /**
   * The command box.
   */
  readonly commandBox: CommandBox;

  /**
   * The selected session, if any.
   */
  get session(): ISession | null {
    return this.model.session;
  }

  /**
   * Attaches to a process and selects its session (the command box gets the focus).
   */
  attach(pid: number): Promise<ISession | null> {
    return this.model.attach(pid);
  }

  /**
   * Detaches from a session (the selected one by default).
   */
  detach(sessionId?: string | null): Promise<void> {
    return this.model.detach(sessionId);
  }

  /**
   * Runs a command line in the selected session.
   */
  run(line: string): Promise<void> {
    return this.model.run(line);
  }

  /**
   * Focuses the command box.
   */
  focusCommand(): void {
    this.commandBox.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.stopPolling();
    if (this._ownsModel) {
      this.model.dispose();
    }
    super.dispose();
  }

  protected onAfterShow(): void {
    this.model.startPolling();
  }

  protected onAfterHide(): void {
    this.model.stopPolling();
  }

  private _ownsModel: boolean;
}

/**
 * The panel's options.
 */
export namespace FlightPanel {
  export interface IOptions {
    /**
     * The model (default: a new one, disposed of with the panel).
     */
    model?: FlightModel;

    /**
     * Opens a result in the main area (the application's shell); without it, no Open button.
     */
    openInMain?: (entry: IResultEntry) => void;
  }
}
