/**
 * The Flight icon (a paper plane), colored by the theme through jp-icon classes.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M2.5 11.2 21 3.2c.6-.3 1.2.3.9.9l-8 18.5c-.3.6-1.2.6-1.4-.1l-2.2-7.3-7.3-2.2c-.7-.2-.7-1.1-.1-1.4zm8.4 2.1 1.5 5 5.2-12-7.1 7zm-1.3-1.3 7-7.1-12 5.2 5 1.9z"/>
</svg>`;

/**
 * The icon of the sidebar and of the commands.
 */
export const flightIcon = new LabIcon({
  name: 'jupyterlab-flight:icon',
  svgstr: svg
});
