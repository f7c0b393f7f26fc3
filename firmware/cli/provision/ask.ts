// One value of the config: from its flag, else asked (current value as default), else, when
// nobody can answer, the current value. Every value is validated the same way wherever it came from.
import type { Parsed } from './fields.ts';
import type { Prompter } from './prompt.ts';

/** Bad input that cannot be asked again (a flag under --yes, a missing value): exit with `exitCode`. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly exitCode = 65,
  ) {
    super(message);
  }
}

export interface Question<T> {
  flag: string;
  label: string;
  /** The value in the existing config (or the default); Enter keeps it. */
  current?: string;
  /** Enter with no current value, or '-', leaves it unset. */
  optional?: boolean;
  hidden?: boolean;
  parse(input: string): Parsed<T>;
}

export class Asker {
  readonly #flags: Map<string, string>;

  constructor(
    private readonly p: Prompter,
    flags: Record<string, unknown>,
    private readonly configPath: string,
  ) {
    this.#flags = new Map(Object.entries(flags).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  /** The flags' values are used once: after a failed broker check these questions are asked. */
  forget(...flags: string[]): void {
    for (const f of flags) this.#flags.delete(f);
  }

  async get<T>(q: Question<T>): Promise<T | undefined> {
    const given = this.#flags.get(q.flag);
    if (given !== undefined) {
      const r = q.parse(given);
      if (r.ok) return r.value;
      if (!this.p.interactive) throw new InputError(`--${q.flag}: ${r.error}`);
      this.p.say(`--${q.flag}: ${r.error}`);
    }
    if (!this.p.interactive) return this.#unasked(q);
    for (;;) {
      const a = await this.p.ask(`${q.label}${hint(q)}: `, { hidden: q.hidden });
      if (a === '-' && q.optional) return undefined;
      const answer = a === '' ? q.current : a;
      if (answer === undefined) {
        if (q.optional) return undefined;
        this.p.say('  this one is needed');
        continue;
      }
      const r = q.parse(answer);
      if (r.ok) return r.value;
      this.p.say(`  ${r.error}`);
    }
  }

  #unasked<T>(q: Question<T>): T | undefined {
    if (q.current === undefined) {
      if (q.optional) return undefined;
      throw new InputError(`--${q.flag} is needed (${this.configPath} has no ${q.label.toLowerCase()})`);
    }
    const r = q.parse(q.current);
    if (r.ok) return r.value;
    throw new InputError(`${q.label.toLowerCase()} in ${this.configPath}: ${r.error} (give --${q.flag})`);
  }
}

function hint(q: Question<unknown>): string {
  if (q.current === undefined) return q.optional ? ' (Enter for none)' : '';
  if (q.hidden) return ` [Enter keeps it${q.optional ? ', - for none' : ''}]`;
  return ` [${q.current}${q.optional ? ', - for none' : ''}]`;
}
