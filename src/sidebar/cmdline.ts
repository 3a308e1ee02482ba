/**
 * What the process list shows of a command line: the script or module and its arguments first
 * (what tells processes apart), the interpreter second. Every pyenv interpreter has the same long
 * path, which cut the script off at the sidebar's width.
 */

export interface ICommandLabel {
  /** `train.py --epochs 3`, `-m ipykernel_launcher -f …`, `-c import time; …` */
  program: string;
  /** the interpreter with its options, or '' when the command line is not a Python one */
  interpreter: string;
}

const PYTHON = /(^|\/)(python|pypy)[\d.]*[a-z]*$/;
// options that take a value as the next word (python -X dev, -W error)
const WITH_VALUE = new Set(['-X', '-W', '--check-hash-based-pycs']);

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}

export function commandLabel(
  cmdline: string | undefined | null
): ICommandLabel {
  const words = (cmdline ?? '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) {
    return { program: '', interpreter: '' };
  }
  if (!PYTHON.test(words[0])) {
    // a launcher script (jupyter-lab, gunicorn): its name first, then its arguments
    return {
      program: [basename(words[0]), ...words.slice(1)].join(' '),
      interpreter: words[0].includes('/') ? words[0] : ''
    };
  }
  let i = 1;
  while (i < words.length && words[i].startsWith('-')) {
    const word = words[i];
    if (word === '-m' || word === '-c') {
      return {
        program: words.slice(i).join(' '),
        interpreter: words.slice(0, i).join(' ')
      };
    }
    if (word === '-') {
      break;
    }
    i += WITH_VALUE.has(word) ? 2 : 1;
  }
  if (i >= words.length) {
    return { program: basename(words[0]), interpreter: words.join(' ') };
  }
  return {
    program: [basename(words[i]), ...words.slice(i + 1)].join(' '),
    interpreter: [...words.slice(0, i), words[i]].join(' ')
  };
}
