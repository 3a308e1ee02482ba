/**
 * The views this extension registers for the record kinds of docs/schema.md.
 */
import { IViewRegistry } from '../registry';
import {
  renderConsole,
  renderError,
  renderGc,
  renderHelp,
  renderMessage,
  renderModule,
  renderProcesses,
  renderSessions,
  renderValue
} from './records';
import { memDiffGroup, renderMemRefs, renderMemSummary } from './mem';
import { renderDiagnosis } from './diagnosis';
import { renderExceptions } from './exceptions';
import { renderJob } from './job';
import { profileGroup } from './profile';
import { renderReload } from './reload';
import { renderStack } from './stack';
import {
  monitorGroup,
  renderEnd,
  renderTtDetail,
  renderTtList,
  ttGroup,
  watchGroup
} from './streams';
import { gilGroup } from './gil';
import {
  renderTorchMemory,
  renderTorchProfile,
  renderTorchSnapshot,
  renderTorchTensors
} from './torch';
import { renderTrace } from './trace';

/**
 * Registers the view of every kind of docs/schema.md.
 */
export function registerBuiltinViews(registry: IViewRegistry): void {
  registry.registerView('stack', renderStack);
  registry.registerView('value', renderValue);
  registry.registerView('console', renderConsole);
  registry.registerView('gc', renderGc);
  registry.registerView('module', renderModule);
  registry.registerView('reload', renderReload);
  registry.registerView('help', renderHelp);
  registry.registerView('message', renderMessage);
  registry.registerView('error', renderError);
  registry.registerView('processes', renderProcesses);
  registry.registerView('sessions', renderSessions);
  registry.registerView('job', renderJob);
  registry.registerView('diagnosis', renderDiagnosis);
  registry.registerView('exceptions', renderExceptions);
  registry.registerView('trace', renderTrace);
  registry.registerView('tt_list', renderTtList);
  registry.registerView('tt_detail', renderTtDetail);
  registry.registerView('end', renderEnd);
  registry.registerView('torch_profile', renderTorchProfile);
  registry.registerView('torch_memory', renderTorchMemory);
  registry.registerView('torch_snapshot', renderTorchSnapshot);
  registry.registerView('torch_tensors', renderTorchTensors);
  registry.registerView('mem_summary', renderMemSummary);
  registry.registerView('mem_refs', renderMemRefs);
  // consecutive records of a stream grow one table (and chart)
  registry.registerGroupView('watch', watchGroup);
  registry.registerGroupView('tt_record', ttGroup);
  registry.registerGroupView('monitor', monitorGroup);
  // mem diff's cycles: the latest table over a chart of the top growing types
  registry.registerGroupView('mem_diff', memDiffGroup);
  // a live profile (perf while it samples) is replaced in place by the stream's next one
  registry.registerGroupView('profile', profileGroup);
  // gilstat: its reports and warnings, one view for the stream
  registry.registerGroupView('gil_stats', gilGroup);
  registry.registerGroupView('gil_event', gilGroup);
}
