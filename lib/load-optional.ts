// Hardware libraries are optional dependencies with native parts, loaded only when chosen. A
// failure to load one becomes an error that names the package to install, not a stack trace.

/** A hardware prerequisite is missing; `message` says what to install or change. */
export class PiHardwareError extends Error {
  override name = 'PiHardwareError';
}

export interface NativePackage {
  /** The npm package imported. */
  pkg: string;
  /** The npm package holding the native addon (rebuilt after installing `apt`). */
  addon: string;
  /** Debian packages its build and run need. */
  apt: string;
}

/** Runs `load` (a dynamic import of `p.pkg`); any failure becomes a PiHardwareError naming the fix. */
export async function loadOptional<T>(p: NativePackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // npm drops an optional dependency whose native build failed, so "not installed" is common.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`'${p.pkg}'`)) {
      throw new PiHardwareError(`${p.pkg} is not installed: apt-get install ${p.apt} && npm install`);
    }
    throw new PiHardwareError(
      `${p.pkg} could not be loaded (${e.message.split('\n')[0]}): apt-get install ${p.apt} && npm rebuild ${p.addon}`,
    );
  }
}
