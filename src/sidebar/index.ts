/**
 * The Flight sidebar and its panels.
 */
export { CommandBox } from './commandbox';
export { FlightPanel } from './panel';
export { ProcessesPanel } from './processes';
export { ResultsPanel } from './results';
export { SessionsPanel } from './sessions';
