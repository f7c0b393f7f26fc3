// The photo threads (decoding, scaling, palette fitting, sixel encoding) yield the CPU to the
// event loop that runs the keys, the reader and the sale. On a Pi's four cores they rarely meet;
// on a loaded or slower one (the bench's Pi-class column: every thread shares a quarter of a core)
// an equal share let a photo being prepared hold a cashier's key for over 100 ms. A photo can wait a
// few milliseconds more; the background fill of prepared photos has no one waiting at all.
import { setPriority } from 'node:os';

/** The photo threads' nice value (the event loop keeps 0): CFS gives a thread at 10 about a tenth of one at 0. */
export const PHOTO_THREAD_NICE = 10;

/**
 * Lowers the calling thread's priority. Linux keeps the nice value per thread, and setpriority()
 * with who = 0 names the calling thread: so this must run on the photo thread itself, never on
 * the main one. Says whether it could (elsewhere it is a log line's worth, not a fault).
 */
export function lowerThisThread(set: (pid: number, nice: number) => void = setPriority): boolean {
  try {
    set(0, PHOTO_THREAD_NICE);
    return true;
  } catch {
    return false;
  }
}
