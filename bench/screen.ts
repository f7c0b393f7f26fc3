// The console display as a club's kiosk runs it (BlessedDisplay on blessed, the photo in sixel), on
// a pretend 800×480 panel: foot's cells of 10×20 pixels, 80×24 of them. The terminal is absent
// here, so its answers to the probe are given and its output goes nowhere; everything the daemon
// does to draw a frame and a photo runs as on the kiosk. `sixelAt` says when a photo was written.
import { PassThrough, Writable } from 'node:stream';
import type { PhotoLookup, PreparedPhotoStore } from '../hal/types.ts';
import { BlessedDisplay } from '../firmware/ui/blessed-display.ts';
import { ConsoleScreen } from '../firmware/ui/console-screen.ts';
import type { TerminalAbilities } from '../firmware/ui/draw/terminal-probe.ts';
import type { Logger } from '../firmware/log.ts';
import type { Preparer } from '../firmware/ui/photo/photo-output.ts';
import { now } from './stats.ts';
import { systemTimers } from '../lib/timers.ts';

const PANEL = { cols: 80, rows: 24, cell: { w: 10, h: 20 } };

/** A tty that takes everything and keeps nothing. */
function nowhere(): NodeJS.WriteStream {
  const out = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream & {
    columns: number;
    rows: number;
    isTTY: boolean;
  };
  out.columns = PANEL.cols;
  out.rows = PANEL.rows;
  out.isTTY = true;
  return out;
}

function noKeys(): NodeJS.ReadStream {
  const input = new PassThrough() as unknown as NodeJS.ReadStream & {
    isTTY: boolean;
    setRawMode: (b: boolean) => unknown;
  };
  input.isTTY = true;
  input.setRawMode = () => input;
  return input;
}

class KioskConsole extends ConsoleScreen {
  readonly #wrote: ((at: bigint) => void)[] = [];
  /** The last sixel image written (the whole write holding it). */
  lastSixel: string | null = null;
  override get abilities(): TerminalAbilities {
    return { sixel: true, cell: PANEL.cell, colorRegisters: 256 };
  }
  override get term(): string {
    return 'foot';
  }
  override writeRaw(data: string): void {
    super.writeRaw(data);
    // A sixel image: DCS … q.
    if (data.includes('\x1bP')) {
      const at = now();
      this.lastSixel = data;
      for (const w of this.#wrote.splice(0)) w(at);
    }
  }
  /** Resolves at the next photo written. */
  nextSixel(): Promise<bigint> {
    return new Promise((r) => this.#wrote.push(r));
  }
}

export interface KioskDisplay {
  display: BlessedDisplay;
  nextSixel(): Promise<bigint>;
  /** The last sixel image written, with the cursor moves around it. */
  lastSixel(): string | null;
}

/** The display of a kiosk; `photos` as the terminal looks them up (the journal). */
export function kioskDisplay(
  photos: PhotoLookup,
  log: Pick<Logger, 'warn' | 'info'>,
  ahead: { prepared?: PreparedPhotoStore; preparer?: Preparer & { close(): Promise<void> } } = {},
): KioskDisplay {
  const console = new KioskConsole({ output: nowhere(), input: noKeys(), probe: false, timers: systemTimers });
  const display = new BlessedDisplay(console, {
    lang: 'da',
    photos,
    ...ahead,
    log,
    timers: systemTimers,
    display: { photo: 'sixel', framebuffer: { device: '/dev/null', sysfs: '/nonexistent' } },
  });
  return { display, nextSixel: () => console.nextSixel(), lastSixel: () => console.lastSixel };
}
