/**
 * The MIME renderer for `application/vnd.jupyterlab-flight.v1+json`.
 *
 * Declared safe: it renders in untrusted notebooks, because every target-derived string goes
 * into the DOM through `textContent`. Its rank (0) puts it ahead of the bundle's `text/html`.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { renderPayload } from './render';
import { IPayload, MIME_TYPE } from './types';

/**
 * A rendered flight result.
 */
export class RenderedFlight extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('jp-RenderedFlight');
    this.node.dataset.mimeType = this._mimeType;
  }

  /**
   * Renders the payload into this widget.
   */
  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const payload = model.data[this._mimeType] as unknown as IPayload;
    this.node.textContent = '';
    this.node.appendChild(renderPayload(payload));
    return Promise.resolve();
  }

  private _mimeType: string;
}

/**
 * The renderer factory.
 */
export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: 0,
  createRenderer: options => new RenderedFlight(options)
};

/**
 * The MIME extension.
 */
const extension: IRenderMime.IExtension = {
  id: 'jupyterlab-flight:mime',
  description: 'Interactive views of jupyterlab-flight results',
  rendererFactory,
  rank: 0,
  dataType: 'json'
};

export default extension;
