/**
 * A `diagnosis` record (diagnose): a short report: summary, classification and confidence, the
 * evidence chain (findings with the records they rest on), likely cause, next commands.
 *
 * Every text shown comes from the record through `textContent`.
 */
import { el, str } from '../dom';
import { IRecordBase } from '../types';

declare module '../types' {
  // the diagnosis kind joins the kinds of docs/schema.md (module augmentation)
  interface IRecordKinds {
    diagnosis: IDiagnosisRecord;
  }
}

export interface IDiagnosisFinding {
  title: string;
  evidence: string;
  records: number[];
}

export interface IDiagnosisRecord extends IRecordBase {
  kind: 'diagnosis';
  problem: string;
  workflow: string;
  classification: string;
  confidence: number;
  summary: string;
  cause: string;
  findings: IDiagnosisFinding[];
  next: string[];
  missing: string[];
  stopped?: boolean;
}

export function renderDiagnosis(record: IDiagnosisRecord): HTMLElement {
  const findings = Array.isArray(record.findings) ? record.findings : [];
  const next = Array.isArray(record.next) ? record.next : [];
  const missing = Array.isArray(record.missing) ? record.missing : [];
  const confidence = Math.round(Number(record.confidence) * 100);
  const root = el('div', { className: 'jp-flight-diagnosis' }, [
    el('div', { className: 'jp-flight-toolbar' }, [
      el('span', {
        className: 'jp-flight-title',
        text: `diagnosis (${str(record.workflow)})`
      }),
      el('code', { text: str(record.classification) }),
      el('span', {
        className: 'jp-flight-muted',
        text: `confidence ${confidence}%`
      })
    ]),
    str(record.problem).split(' ')[0] !== record.workflow
      ? el('div', {
          className: 'jp-flight-muted',
          text: `problem: ${str(record.problem)}`
        })
      : null,
    el('div', { text: str(record.summary) }),
    record.stopped
      ? el('div', {
          className: 'jp-flight-muted',
          text: 'stopped early: what the steps so far found (the others were skipped)'
        })
      : null
  ]);
  if (findings.length) {
    root.appendChild(el('div', { text: 'evidence:' }));
    root.appendChild(
      el(
        'ol',
        {},
        findings.map(f =>
          el('li', {}, [
            el('b', { text: str(f.title) }),
            Array.isArray(f.records) && f.records.length
              ? el('span', {
                  className: 'jp-flight-muted',
                  text: ` [records ${f.records.map(n => `#${n}`).join(', ')}]`
                })
              : null,
            el('div', { text: str(f.evidence) })
          ])
        )
      )
    );
  }
  if (record.cause) {
    root.appendChild(
      el('div', {}, [
        el('b', { text: 'likely cause: ' }),
        el('span', { text: str(record.cause) })
      ])
    );
  }
  if (missing.length) {
    root.appendChild(
      el('div', {
        className: 'jp-flight-muted',
        text: `not in this version (steps skipped): ${missing.join(', ')}`
      })
    );
  }
  if (next.length) {
    root.appendChild(el('div', { text: 'next:' }));
    root.appendChild(el('pre', {}, [el('code', { text: next.join('\n') })]));
  }
  return root;
}
