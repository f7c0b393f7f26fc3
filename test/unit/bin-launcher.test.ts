// bin/klubkort.js picks what to run: the dist/ bundle when it is at least as new as every source
// file, the TypeScript sources through tsx otherwise. Checked on a copy of the launcher in a temp
// project whose "bundle" and "sources" say which one ran.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function project(t: import('ava').ExecutionContext): { dir: string; which: () => Promise<string> } {
  const dir = mkdtempSync(join(tmpdir(), 'klubkort-bin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'dist', 'lib', 'contract', 'firmware/cli', 'hal', 'sim'])
    mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(join(process.cwd(), 'bin/klubkort.js'), join(dir, 'bin/klubkort.js'));
  symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module","engines":{"node":">=20.17.0"}}');
  const main = (what: string) =>
    `export async function main(argv: string[]): Promise<number> { process.stdout.write('${what} ' + argv.join(' ')); return 0; }\n`;
  writeFileSync(join(dir, 'bin/commands.ts'), main('sources'));
  writeFileSync(join(dir, 'dist/main.js'), main('bundle').replace(/: string\[\]|: Promise<number>/g, ''));
  return {
    dir,
    which: async () =>
      (
        await run(process.execPath, [join(dir, 'bin/klubkort.js'), 'status'], {
          env: { ...process.env, KLUBKORT_FROM_SOURCE: '' },
        })
      ).stdout,
  };
}

const age = (path: string, secondsAgo: number) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, t, t);
};

test('the bundle runs when it is newer than the sources, with the arguments', async (t) => {
  const p = project(t);
  age(join(p.dir, 'bin/commands.ts'), 60);
  t.is(await p.which(), 'bundle status');
});

test('a source edited after the build (any folder, any depth) runs the sources instead', async (t) => {
  const p = project(t);
  age(join(p.dir, 'bin/commands.ts'), 60);
  age(join(p.dir, 'dist/main.js'), 30);
  writeFileSync(join(p.dir, 'hal/edited.ts'), 'export {};\n');
  t.is(await p.which(), 'sources status');
});

test('a helper in lib/ edited after the build runs the sources too', async (t) => {
  const p = project(t);
  // Every source folder older than the build, so only the edit can make the sources newer.
  for (const d of ['bin/commands.ts', 'bin', 'lib', 'contract', 'firmware/cli', 'firmware', 'hal', 'sim'])
    age(join(p.dir, d), 60);
  age(join(p.dir, 'dist/main.js'), 30);
  t.is(await p.which(), 'bundle status');
  writeFileSync(join(p.dir, 'lib/edited.ts'), 'export {};\n');
  t.is(await p.which(), 'sources status');
});

test('without a build the sources run', async (t) => {
  const p = project(t);
  rmSync(join(p.dir, 'dist'), { recursive: true });
  t.is(await p.which(), 'sources status');
});

test('a release (dist/ and no sources) runs its bundle, however old it is', async (t) => {
  const p = project(t);
  for (const d of ['lib', 'contract', 'firmware', 'hal', 'sim']) rmSync(join(p.dir, d), { recursive: true });
  rmSync(join(p.dir, 'bin/commands.ts'));
  age(join(p.dir, 'dist/main.js'), 3600);
  t.is(await p.which(), 'bundle status');
});
