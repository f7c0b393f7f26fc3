// `klubkort` command line: the terminal's commands (firmware/cli) and the simulator's (sim, ledger).
// It sits above both layers so that firmware never imports sim/.
import { main as terminalMain, USAGE } from '../firmware/cli/main.ts';
import { simTerminalDirs } from '../sim/data-dir.ts';

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'sim': {
      const { runSim } = await import('../sim/run.ts');
      return runSim(rest);
    }
    case 'ledger': {
      const { runAdmin } = await import('../sim/admin.ts');
      return runAdmin(rest);
    }
    default:
      // `status` and `forward` without --data-dir also look for a running simulator's terminal.
      return terminalMain(argv, USAGE, { dataDirs: () => simTerminalDirs() });
  }
}
