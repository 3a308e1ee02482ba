import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

/**
 * The main plugin of the jupyterlab-flight extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-flight:plugin',
  description: 'Live diagnostics for running Python processes, from JupyterLab',
  autoStart: true,
  activate: (app: JupyterFrontEnd): void => {
    console.log('JupyterLab extension jupyterlab-flight is activated!');
  }
};

/**
 * All plugins provided by this extension (sidebar and MIME renderer come later).
 */
const plugins: JupyterFrontEndPlugin<any>[] = [plugin];

export default plugins;
