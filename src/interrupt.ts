/**
 * Stopping a stream that runs outside the target (`perf`: a sampler the kernel runs, no agent
 * connection): the kernel's interrupt, which the magic turns into a stop that keeps every sample
 * taken so far. Apart from widget.ts so that it is tested without a widget manager.
 */

/**
 * What the live widget says when it cannot interrupt the kernel itself.
 */
export const STOP_BUTTON_HINT =
  "this stream runs outside the target: stop it with the notebook's stop button (■), which interrupts the kernel and keeps what was sampled";

/**
 * Interrupts the kernel that runs a widget's magic, found through the widget manager
 * (@jupyter-widgets/jupyterlab-manager's has the kernel, directly or through its notebook's
 * session context). Resolves with nothing once the interrupt was sent, with a message saying
 * to use the notebook's stop button when there is no kernel to interrupt.
 */
export async function interruptKernel(
  manager: unknown
): Promise<string | void> {
  const m = manager as
    | {
        kernel?: { interrupt?: () => Promise<void> } | null;
        context?: {
          sessionContext?: {
            session?: {
              kernel?: { interrupt?: () => Promise<void> } | null;
            } | null;
          };
        } | null;
      }
    | null
    | undefined;
  let kernel: { interrupt?: () => Promise<void> } | null | undefined;
  try {
    kernel = m?.kernel ?? m?.context?.sessionContext?.session?.kernel;
  } catch {
    kernel = null;
  }
  if (!kernel || typeof kernel.interrupt !== 'function') {
    return STOP_BUTTON_HINT;
  }
  try {
    await kernel.interrupt();
  } catch (reason) {
    const text = reason instanceof Error ? reason.message : String(reason);
    return `cannot interrupt the kernel (${text}): ${STOP_BUTTON_HINT}`;
  }
}
