// Questions on the technician's tty: one line each, the current value offered as the default,
// typed input hidden for secrets. Ctrl-C or Ctrl-D aborts (nothing has been written by then).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export class Aborted extends Error {}

export interface Prompter {
  /** False when nobody can answer (no tty, or --yes): nothing may be asked then. */
  readonly interactive: boolean;
  /** The answer as typed, trimmed; '' when the technician just pressed Enter. */
  ask(question: string, opts?: { hidden?: boolean }): Promise<string>;
  say(line: string): void;
  close(): void;
}

export function silentPrompter(out: (line: string) => void): Prompter {
  return {
    interactive: false,
    ask: () => Promise.reject(new Error('cannot ask: not interactive')),
    say: out,
    close() {},
  };
}

export function ttyPrompter(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stdout,
): Prompter {
  let muted = false;
  // readline echoes every key through its output; while muted that echo is dropped (passwords).
  const echo = new Writable({
    write(chunk, _enc, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output: echo, terminal: true, historySize: 0 });
  let pending: ((err: Error) => void) | null = null;
  rl.on('SIGINT', () => pending?.(new Aborted('interrupted')));
  rl.on('close', () => pending?.(new Aborted('input closed')));
  return {
    interactive: true,
    ask(question, opts = {}) {
      return new Promise((resolve, reject) => {
        pending = (err) => {
          pending = null;
          muted = false;
          output.write('\n');
          reject(err);
        };
        // A hidden question is written here, as readline's prompt would be muted with the echo.
        if (opts.hidden) output.write(question);
        muted = opts.hidden === true;
        rl.question(muted ? '' : question, (answer) => {
          pending = null;
          if (muted) output.write('\n');
          muted = false;
          resolve(answer.trim());
        });
      });
    },
    say(line) {
      output.write(line + '\n');
    },
    close() {
      rl.close();
    },
  };
}
