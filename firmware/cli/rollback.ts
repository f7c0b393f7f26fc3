// `klubkort commit` and `klubkort rollback`, run by systemd (not by hand, though they may be):
// klubkort-commit.service commits the release once klubkort.service's daemon said READY=1 (it proved
// itself), and klubkort-rollback.service (the unit's OnFailure=) goes back to the previous release
// when the one that failed was never committed (releases.ts planRollback) and restarts the unit.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { commitCurrent, layoutOf, rollBackIfUnproved } from '../release/releases.ts';
import { testPause } from '../release/test-pause.ts';
import { HELP } from './help.ts';

function argsOf(cmd: 'commit' | 'rollback', argv: string[]): { root: string; restart?: string } | null {
  try {
    const v = parseArgs({
      args: argv,
      strict: true,
      options: { root: { type: 'string' }, ...(cmd === 'rollback' ? { restart: { type: 'string' } } : {}) },
    }).values;
    return { root: (v.root as string | undefined) ?? '/', restart: v.restart as string | undefined };
  } catch (e) {
    process.stderr.write(`klubkort ${cmd}: ${(e as Error).message}\n${HELP[cmd]}\n`);
    return null;
  }
}

export async function commitCommand(argv: string[]): Promise<number> {
  const a = argsOf('commit', argv);
  if (a === null) return 64;
  try {
    await testPause('before-commit', (line) => process.stderr.write(`klubkort commit: ${line}\n`));
    const r = await commitCurrent(layoutOf(a.root));
    process.stdout.write(
      r.already
        ? `release ${r.version} was committed already\n`
        : `release ${r.version} committed: a failure no longer rolls it back\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`klubkort commit: ${(e as Error).message}\n`);
    return 73;
  }
}

export async function rollbackCommand(argv: string[]): Promise<number> {
  const a = argsOf('rollback', argv);
  if (a === null) return 64;
  try {
    const plan = await rollBackIfUnproved(layoutOf(a.root));
    if (plan.action === 'none') {
      process.stdout.write(`no rollback: ${plan.why}\n`);
      return 0;
    }
    process.stdout.write(
      `release ${plan.from} failed before it proved itself: rolled back to ${plan.to} (current → ${plan.to}, previous → ${plan.from})\n`,
    );
    if (a.restart) {
      // At once, not after RestartSec=, and whatever Restart= would have done next.
      execFileSync('systemctl', ['reset-failed', a.restart], { stdio: 'inherit' });
      execFileSync('systemctl', ['--no-block', 'restart', a.restart], { stdio: 'inherit' });
      process.stdout.write(`${a.restart} restarted with release ${plan.to}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`klubkort rollback: ${(e as Error).message}\n`);
    return 73;
  }
}
