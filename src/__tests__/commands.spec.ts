/**
 * The command language from the descriptors of GET flight/commands (the fixture is the
 * endpoint's answer): completion of names and option flags, the streaming trait.
 */
import {
  CommandList,
  commandStreams,
  completeCommand,
  endsSession,
  givesAny,
  splitWords
} from '../commands';
import { ICommandsReply } from '../types';
import reply from './commands.json';

const commands = (reply as ICommandsReply).commands;

describe('command descriptors', () => {
  it('are the answer of GET flight/commands', () => {
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) {
      expect(typeof c.name).toBe('string');
      expect(Array.isArray(c.options)).toBe(true);
      expect(typeof c.streams).toBe('boolean');
    }
  });

  it('say which command lines stream', () => {
    const list = new CommandList();
    list.set(commands);
    expect(list.streams('watch __main__ f -n 3')).toBe(true);
    expect(list.streams('monitor __main__ f')).toBe(true);
    expect(list.streams('trace __main__ f')).toBe(true);
    expect(list.streams('tt -t __main__ f')).toBe(true);
    expect(list.streams('tt --time-tunnel __main__ f')).toBe(true);
    expect(list.streams('tt -l')).toBe(false);
    expect(list.streams("tt -l -f 'a -t b'")).toBe(false);
    expect(list.streams('stack')).toBe(false);
    expect(list.streams('nope')).toBe(false);
    expect(list.get('watch')!.name).toBe('watch');
    expect(commandStreams([], 'watch x y')).toBe(false);
  });

  it('say which command ends the session', () => {
    expect(endsSession(commands, 'detach')).toBe(true);
    expect(endsSession(commands, 'stack')).toBe(false);
    expect(endsSession([], 'detach')).toBe(false);
  });

  it('know an option by any of its flags, and skip option values', () => {
    const tt = commands.find(c => c.name === 'tt')!;
    expect(givesAny(tt, splitWords('tt -l'), ['-t'])).toBe(false);
    expect(givesAny(tt, splitWords('tt -l -m -t'), ['-t'])).toBe(true);
    expect(givesAny(tt, splitWords('tt -l -m x.y.z'), ['-t'])).toBe(false);
    expect(givesAny(tt, splitWords('tt -l -t a b'), ['-t'])).toBe(true);
  });

  it('signal a change', () => {
    const list = new CommandList();
    const seen: number[] = [];
    list.changed.connect((_, descriptors) => seen.push(descriptors.length));
    expect(list.loaded).toBe(false);
    list.set(commands);
    expect(list.loaded).toBe(true);
    expect(seen).toEqual([commands.length]);
  });
});

describe('splitWords', () => {
  it('splits as a shell does', () => {
    expect(splitWords(`watch m f --expr 'args, kwargs' -n 3`)).toEqual([
      'watch',
      'm',
      'f',
      '--expr',
      'args, kwargs',
      '-n',
      '3'
    ]);
    expect(splitWords('console -c "print(\\"x\\")"')).toEqual([
      'console',
      '-c',
      'print("x")'
    ]);
    expect(splitWords("  a  ''  b ")).toEqual(['a', '', 'b']);
  });
});

describe('completion of options', () => {
  it('completes the flags of the command being typed', () => {
    expect(completeCommand('watch m f --fil', commands)).toEqual({
      text: 'watch m f --filter ',
      candidates: ['--filter']
    });
    expect(completeCommand('watch m f --ex', commands).candidates).toEqual([
      '--expr',
      '--exception',
      '--expand'
    ]);
    expect(completeCommand('stack --n', commands).text).toBe('stack --native ');
    const tt = completeCommand('tt -d', commands);
    expect(tt.candidates).toEqual(['-d', '-da']);
    expect(tt.text).toBe('tt -d');
    expect(completeCommand('watch m f -', commands).candidates).toContain(
      '--limits'
    );
  });

  it('completes nothing else after the command name', () => {
    expect(completeCommand('stack ', commands)).toEqual({
      text: 'stack ',
      candidates: []
    });
    expect(completeCommand('getglobal __ma', commands).candidates).toEqual([]);
    expect(completeCommand('nope -', commands).candidates).toEqual([]);
    expect(completeCommand("console -c 'x -", commands).candidates).toEqual([]);
    expect(completeCommand('stack -q', commands)).toEqual({
      text: 'stack -q',
      candidates: []
    });
  });

  it('completes nothing before the descriptors are loaded', () => {
    expect(completeCommand('st', [])).toEqual({ text: 'st', candidates: [] });
  });
});
