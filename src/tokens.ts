/**
 * What the jupyterlab-flight plugin provides to other plugins.
 */
import { Token } from '@lumino/coreutils';
import { ICommandList } from './commands';
import { FlightModel } from './model';
import { IViewRegistry } from './registry';

/**
 * The Flight extension: the sidebar's model, the command descriptors and the view registry.
 */
export interface IFlight {
  /**
   * The sidebar's state (processes, sessions, the selected session, the running command, the
   * results), with a signal for each, and its actions (refresh, attach, detach, run, stop).
   */
  readonly model: FlightModel;
  /**
   * The commands with their arguments and traits, as `GET flight/commands` serves them.
   */
  readonly commands: ICommandList;
  /**
   * The views of record kinds: a plugin that adds a command registers the view of its records
   * here (`registerView`, or `registerGroupView` for a stream's records shown as one table).
   * The sidebar, the notebook's MIME renderer and the live widgets all render through it.
   */
  readonly views: IViewRegistry;
}

/**
 * The token of the Flight extension.
 */
export const IFlight = new Token<IFlight>(
  'jupyterlab-flight:IFlight',
  'The Flight sidebar model, the command descriptors of GET flight/commands, and the registry of record views.'
);
