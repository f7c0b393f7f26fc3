// The console's repaint (after pixels were painted over the text: a sixel photo, the framebuffer)
// must leave the terminal as a cleared terminal with the frame drawn anew: exactly what a fresh
// screen's first draw of the frame writes, after a clear. The repaint keeps blessed's cell buffers
// instead of reallocating them (firmware/ui/console-screen.ts), so this pins what it writes.
import test from 'ava';
import fc from 'fast-check';
import { PassThrough, Writable } from 'node:stream';
import { ConsoleScreen } from '../../firmware/ui/console-screen.ts';
import { systemTimers } from '../../lib/timers.ts';

const COLS = 24;
const ROWS = 5;

function console(): { screen: ConsoleScreen; written: () => string } {
  let out = '';
  const output = new Writable({
    write: (c, _e, cb) => {
      out += String(c);
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { columns: number; rows: number; isTTY: boolean };
  output.columns = COLS;
  output.rows = ROWS;
  output.isTTY = true;
  const input = new PassThrough() as unknown as NodeJS.ReadStream & { isTTY: boolean; setRawMode: () => unknown };
  input.isTTY = true;
  input.setRawMode = () => input;
  const screen = new ConsoleScreen({ output, input, probe: false, timers: systemTimers });
  return {
    screen,
    written: () => {
      const w = out;
      out = '';
      return w;
    },
  };
}

/** blessed writes on the next turn. */
const flushed = () => new Promise((r) => setTimeout(r, 5));

// A row of cells exactly COLS wide: plain, coloured (some only their background), blank, Danish, '·'.
const cell = fc.record({
  ch: fc.constantFrom(' ', 'a', 'Z', '7', 'æ', 'ø', 'Å', '·', ','),
  sgr: fc.constantFrom('', '\x1b[31m', '\x1b[44m', '\x1b[1;32m', '\x1b[48;5;238m'),
});
const row = fc
  .array(cell, { minLength: COLS, maxLength: COLS })
  .map((cs) => cs.map((c) => `${c.sgr}${c.ch}\x1b[0m`).join(''));
const frame = fc.array(row, { minLength: ROWS, maxLength: ROWS });

test('a repaint writes a clear and then the frame as a fresh screen draws it first', async (t) => {
  await fc.assert(
    fc.asyncProperty(frame, frame, async (before, shown) => {
      const a = console();
      const fresh = console();
      try {
        await a.screen.start();
        await fresh.screen.start();
        // What was drawn before the frame must not matter: only the frame is on the terminal after.
        a.screen.show(before);
        await flushed();
        a.screen.show(shown);
        await flushed();
        a.written();
        a.screen.repaint();
        await flushed();
        fresh.written();
        fresh.screen.show(shown);
        await flushed();
        t.is(a.written(), `\x1b[H\x1b[2J${fresh.written()}`);
        // A second repaint in a row is the same again.
        a.screen.repaint();
        await flushed();
        fresh.written();
        fresh.screen.repaint();
        await flushed();
        t.is(a.written(), fresh.written());
      } finally {
        a.screen.stop();
        fresh.screen.stop();
      }
    }),
    { numRuns: 40 },
  );
});
