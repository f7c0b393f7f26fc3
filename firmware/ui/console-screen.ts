// The one blessed screen the display and the keypad share: created by whichever starts first,
// destroyed (terminal restored) by whichever stops first.
import blessed from 'blessed';
import type { Widgets } from 'blessed';
import { NO_ABILITIES, probeTerminal, type TerminalAbilities } from './draw/terminal-probe.ts';
import type { Timers } from '../../lib/timers.ts';
import { rememberWidths } from './blessed-widths.ts';

/** What blessed reports for a key press (the fields the mapping reads). */
export interface KeyPress {
  name?: string;
  full?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}
/** Returns true when it took the key, so later handlers do not see it. */
export type KeyHandler = (ch: string | undefined, key: KeyPress) => boolean;

export interface ConsoleOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  onQuit?: () => void;
  /** Ask the terminal about sixel and its cell size before blessed takes the input (default true). */
  probe?: boolean;
  /** The probe's deadline. */
  timers: Timers;
}

/** blessed's screen as its draw() sees it: what is on the terminal (olines) and what is to be (lines). */
interface CellBuffers {
  rows: number;
  cols: number;
  dattr: number;
  lines: ([number, string][] & { dirty?: boolean })[];
  olines: [number, string][][];
  program: { clear(): void };
}

export class ConsoleScreen {
  #screen: Widgets.Screen | null = null;
  #box: Widgets.BoxElement | null = null;
  readonly #keyHandlers: KeyHandler[] = [];
  readonly #resizeHandlers: (() => void)[] = [];
  #starting: Promise<void> | null = null;
  #abilities: TerminalAbilities = NO_ABILITIES;

  constructor(private readonly opts: ConsoleOptions) {}

  get started(): boolean {
    return this.#screen !== null;
  }
  get size(): { cols: number; rows: number } {
    return { cols: Number(this.#screen?.width ?? 0), rows: Number(this.#screen?.height ?? 0) };
  }

  /** What the terminal answered when asked at start. */
  get abilities(): TerminalAbilities {
    return this.#abilities;
  }
  /** Colours the terminal has (terminfo), e.g. 8 for TERM=linux. */
  get colors(): number {
    return Number((this.#screen?.tput as { colors?: number } | undefined)?.colors ?? 256) || 256;
  }
  get term(): string | undefined {
    return (this.#screen?.program as { terminal?: string } | undefined)?.terminal ?? process.env.TERM;
  }

  onKey(fn: KeyHandler): void {
    this.#keyHandlers.push(fn);
  }
  onResize(fn: () => void): void {
    this.#resizeHandlers.push(fn);
  }

  /** Asks the terminal what it can do (once), then opens the screen; the display and keypad share it. */
  start(): Promise<void> {
    this.#starting ??= (async () => {
      if (this.opts.probe !== false) {
        this.#abilities = await probeTerminal(
          this.opts.input ?? process.stdin,
          this.opts.output ?? process.stdout,
          this.opts.timers,
        );
      }
      this.#open();
    })();
    return this.#starting;
  }

  #open(): void {
    if (this.#screen) return;
    rememberWidths();
    const screen = blessed.screen({
      smartCSR: true,
      fullUnicode: true,
      forceUnicode: true,
      warnings: false,
      title: 'klubkort',
      ...(this.opts.input ? { input: this.opts.input } : {}),
      ...(this.opts.output ? { output: this.opts.output } : {}),
    });
    // blessed turns on application keypad mode, in which a USB numeric keypad's digits arrive as
    // escape sequences blessed drops; normal mode makes them plain digits again.
    screen.program.put.keypad_local();
    // Always UTF-8: blessed's VT100 line-drawing (ACS) substitutes would turn '·' into '~'.
    screen.tput.brokenACS = true;
    const box = blessed.box({ top: 0, left: 0, width: '100%', height: '100%', tags: false, wrap: false });
    screen.append(box);
    screen.on('keypress', (ch: string | undefined, key: KeyPress | undefined) => {
      const k = key ?? {};
      // Raw mode swallows Ctrl-C: hand it to onQuit, or turn it back into the signal.
      if (k.ctrl && k.name === 'c') {
        if (this.opts.onQuit) this.opts.onQuit();
        else process.kill(process.pid, 'SIGINT');
        return;
      }
      for (const h of this.#keyHandlers) if (h(ch, k)) return;
    });
    screen.on('resize', () => {
      for (const fn of this.#resizeHandlers) fn();
    });
    this.#screen = screen;
    this.#box = box;
  }

  /** Shows a frame given as SGR-coloured rows exactly as wide as the screen. */
  show(rows: string[]): void {
    if (!this.#screen || !this.#box) return;
    this.#box.setContent(rows.join('\n'));
    this.#screen.render();
  }

  /** Writes escape sequences (a sixel image) after what blessed has written so far. */
  writeRaw(data: string): void {
    const program = this.#screen?.program as
      | (Widgets.Screen['program'] & { flush?: () => void; output: NodeJS.WritableStream })
      | undefined;
    if (!program) return;
    program.flush?.();
    program.output.write(data);
  }

  /**
   * Redraws every cell: pixels painted over the text (sixel, framebuffer) are gone after it. What
   * blessed's realloc() does (the terminal cleared, every cell drawn again), with the cell buffers
   * kept: realloc builds ~4,000 new arrays for 80×24 cells, and their collection held the loop for
   * milliseconds after every photo.
   */
  repaint(): void {
    const screen = this.#screen;
    if (!screen) return;
    const s = screen as unknown as CellBuffers;
    const { rows, cols } = s;
    if (s.olines.length !== rows || s.lines.length !== rows || s.olines.some((o) => o.length !== cols)) {
      screen.realloc(); // sizes that do not match (a resize under way): blessed's own way
    } else {
      // As drawn on a cleared terminal: blank. The cells to show are kept and drawn in full.
      for (const row of s.olines)
        for (const cell of row) {
          cell[0] = s.dattr;
          cell[1] = ' ';
        }
      for (const line of s.lines) line.dirty = true;
      s.program.clear();
    }
    screen.render();
  }

  stop(): void {
    this.#starting = null;
    const screen = this.#screen;
    this.#screen = null;
    this.#box = null;
    screen?.destroy();
  }
}
