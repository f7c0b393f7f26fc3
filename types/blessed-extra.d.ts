// What klubkort uses of blessed that @types/blessed leaves out.
import 'blessed';

declare module 'blessed' {
  interface BlessedProgram {
    /** terminfo capabilities as functions; only the ones used here. */
    put: { keypad_local(): boolean; keypad_xmit(): boolean };
  }
  namespace Widgets {
    interface Tput {
      /** When true, blessed writes line and dot characters as UTF-8 instead of switching to ACS. */
      brokenACS: boolean;
    }
  }
}
