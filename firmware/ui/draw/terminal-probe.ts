// Asks the terminal what it can do, before blessed takes its input: sixel graphics (attribute 4
// in the primary device attributes), the cell size in pixels (CSI 16 t, else the pixel size the
// terminal gives the tty, TIOCGWINSZ) and the sixel colour registers (XTSMGRAPHICS). Every
// terminal answers DA1, so its reply ends the wait; one that answers nothing is given up on.
import { spawnSync } from 'node:child_process';
import type { Timers } from '../../../lib/timers.ts';

export interface TerminalAbilities {
  sixel: boolean;
  /** One character cell in pixels, when the terminal told. */
  cell: { w: number; h: number } | null;
  /** Sixel colour registers, when told (xterm's VT340 has 16 unless configured). */
  colorRegisters: number | null;
}

export const NO_ABILITIES: TerminalAbilities = { sixel: false, cell: null, colorRegisters: null };

// CSI 16 t (cell size), XTSMGRAPHICS read of colour registers, then DA1.
export const PROBE_QUERY = '\x1b[16t\x1b[?1;1;0S\x1b[c';

/** What the replies read so far say, and whether DA1 (the last) has come. */
export function parseReplies(text: string): { abilities: TerminalAbilities; done: boolean } {
  const da = /\x1b\[\?([\d;]*)c/.exec(text);
  const cell = /\x1b\[6;(\d+);(\d+)t/.exec(text);
  const regs = /\x1b\[\?1;0;(\d+)S/.exec(text);
  const ch = cell ? Number(cell[1]) : 0,
    cw = cell ? Number(cell[2]) : 0;
  return {
    done: da !== null,
    abilities: {
      sixel: da ? da[1].split(';').includes('4') : false,
      cell: cw > 0 && ch > 0 ? { w: cw, h: ch } : null,
      colorRegisters: regs ? Number(regs[1]) : null,
    },
  };
}

// Node's tty module reads TIOCGWINSZ but drops ws_xpixel/ws_ypixel; python3 (already needed for
// sd_notify, firmware/systemd/notify.ts) reads the whole struct of the tty given as its stdin.
const WINSIZE_PY =
  'import fcntl,termios,struct;print(*struct.unpack("HHHH",fcntl.ioctl(0,termios.TIOCGWINSZ,bytes(8))))';

/** A cell in pixels from TIOCGWINSZ (xterm and foot fill in the pixel size; the console leaves 0). */
export function winsizeCell(fd: number): { w: number; h: number } | null {
  try {
    const r = spawnSync('python3', ['-c', WINSIZE_PY], {
      stdio: [fd, 'pipe', 'ignore'],
      encoding: 'utf8',
      timeout: 3000,
    });
    const [rows, cols, xpx, ypx] = (r.stdout ?? '').trim().split(/\s+/).map(Number);
    return rows && cols && xpx && ypx ? { w: Math.floor(xpx / cols), h: Math.floor(ypx / rows) } : null;
  } catch {
    return null;
  }
}

/** Sends the query and reads the replies (raw mode for the while); never throws. */
export async function probeTerminal(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  timers: Timers,
  timeoutMs = 1500,
): Promise<TerminalAbilities> {
  if (!input.isTTY || !output.isTTY || typeof input.setRawMode !== 'function') return NO_ABILITIES;
  const wasRaw = input.isRaw;
  let text = '';
  return new Promise((resolve) => {
    const finish = () => {
      timers.clearTimeout(timer);
      input.off('data', onData);
      try {
        input.setRawMode(wasRaw);
      } catch {
        /* a closed tty */
      }
      input.pause();
      const a = parseReplies(text).abilities;
      const fd = (input as { fd?: number }).fd;
      resolve(a.cell || typeof fd !== 'number' ? a : { ...a, cell: winsizeCell(fd) });
    };
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (parseReplies(text).done) finish();
    };
    const timer = timers.setTimeout(finish, timeoutMs);
    try {
      input.setRawMode(true);
      input.on('data', onData);
      input.resume();
      output.write(PROBE_QUERY);
    } catch {
      finish();
    }
  });
}
