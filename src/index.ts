/**
 * The jupyterlab-flight frontend: the Flight sidebar, its commands and settings, the `IFlight`
 * token, and the live widgets of streaming magics. The MIME renderer is the package's
 * `mimeExtension` (src/mime.ts).
 */
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget
} from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { FlightService } from './api';
import { flightIcon } from './icon';
import { DEFAULT_SETTINGS, FlightModel, IFlightSettings } from './model';
import { viewRegistry } from './render';
import { FlightPanel } from './sidebar/index';
import { ResultView } from './sidebar/resultview';
import { IFlight } from './tokens';
import {
  FlightStreamModel,
  FlightStreamView,
  MODULE_NAME,
  MODULE_VERSION
} from './widget';

/**
 * The command ids.
 */
export namespace CommandIDs {
  export const open = 'flight:open';
  export const attach = 'flight:attach';
  export const detach = 'flight:detach';
  export const run = 'flight:run';
}

const PLUGIN_ID = 'jupyterlab-flight:plugin';

/**
 * The main plugin: the sidebar, the command palette entries and the settings; it provides
 * `IFlight` (the model, the command descriptors, the view registry) to other plugins.
 */
const plugin: JupyterFrontEndPlugin<IFlight> = {
  id: PLUGIN_ID,
  description: 'Live diagnostics for running Python processes, from JupyterLab',
  autoStart: true,
  provides: IFlight,
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ): IFlight => {
    const model = new FlightModel({
      service: new FlightService(app.serviceManager.serverSettings)
    });
    void model.loadCommands();
    const panel = new FlightPanel({
      model,
      // a result at full width: the sidebar gives it about 270 px
      openInMain: entry => {
        const view = new MainAreaWidget({
          content: new ResultView(model, entry)
        });
        view.title.label = `Flight: ${entry.command}`;
        view.title.icon = flightIcon;
        app.shell.add(view, 'main');
        app.shell.activateById(view.id);
      }
    });
    panel.title.icon = flightIcon;
    panel.title.label = 'Flight';
    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'jupyterlab-flight-sidebar');
    }

    const show = () => {
      app.shell.activateById(panel.id);
    };
    const { commands } = app;
    commands.addCommand(CommandIDs.open, {
      label: 'Flight: Show the Sidebar',
      icon: flightIcon,
      execute: show
    });
    commands.addCommand(CommandIDs.attach, {
      label: 'Flight: Attach to a Process…',
      icon: flightIcon,
      execute: async args => {
        let pid = Number(args.pid);
        if (!pid) {
          const result = await InputDialog.getNumber({
            title: 'Attach to a Python process',
            label: 'Process id (pid)'
          });
          if (!result.button.accept || !result.value) {
            return;
          }
          pid = result.value;
        }
        show();
        await panel.attach(pid);
      }
    });
    commands.addCommand(CommandIDs.detach, {
      label: 'Flight: Detach from the Selected Process',
      icon: flightIcon,
      isEnabled: () => panel.session !== null,
      execute: async () => {
        show();
        await panel.detach();
      }
    });
    commands.addCommand(CommandIDs.run, {
      label: 'Flight: Run a Command…',
      icon: flightIcon,
      execute: async args => {
        let command = args.command ? String(args.command) : '';
        if (!command) {
          const result = await InputDialog.getText({
            title: panel.session
              ? `Run a command in pid ${panel.session.pid}`
              : 'Run a command (attach first)',
            placeholder: 'stack'
          });
          if (!result.button.accept || !result.value) {
            return;
          }
          command = result.value;
        }
        show();
        await panel.run(command);
      }
    });
    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.attach,
        CommandIDs.detach,
        CommandIDs.run
      ]) {
        palette.addItem({ command, category: 'Flight' });
      }
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = () => {
            model.settings = {
              ...DEFAULT_SETTINGS,
              ...(settings.composite as unknown as Partial<IFlightSettings>)
            };
          };
          update();
          settings.changed.connect(update);
        })
        .catch(reason => {
          console.error('jupyterlab-flight: cannot load the settings', reason);
        });
    }
    return { model, commands: model.commands, views: viewRegistry };
  }
};

/**
 * The live widgets of streaming magics (`%flight watch`, `trace`, `tt -t`, `monitor`). Without
 * the widget manager, the notebook shows the static result when the stream ends.
 */
const widgetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-flight:widgets',
  description: 'Live views of streaming jupyterlab-flight magics',
  autoStart: true,
  optional: [IJupyterWidgetRegistry, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    registry: IJupyterWidgetRegistry | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    if (!registry) {
      return;
    }
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { FlightStreamModel, FlightStreamView }
    });
    if (settingRegistry) {
      // the sidebar's limit applies to live views too (the settings belong to the main plugin)
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = () => {
            const max = Number(settings.composite.maxRecords);
            FlightStreamModel.maxRecords =
              max >= 1 ? max : DEFAULT_SETTINGS.maxRecords;
          };
          update();
          settings.changed.connect(update);
        })
        .catch(reason => {
          console.error('jupyterlab-flight: cannot load the settings', reason);
        });
    }
  }
};

export { IFlight } from './tokens';
export type { ICommandList } from './commands';
export type { FlightModel, IFlightSettings } from './model';
export type {
  GroupView,
  IRecordGroup,
  IViewRegistry,
  RecordView
} from './registry';
export * from './types';

/**
 * All plugins provided by this extension (the MIME renderer is in src/mime.ts).
 */
const plugins: JupyterFrontEndPlugin<any>[] = [plugin, widgetsPlugin];

export default plugins;
