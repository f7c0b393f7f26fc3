// The card: an MBR with the FAT boot partition (the Pi's firmware reads only that), the root (read-
// only), the releases (/opt/klubkort: written only by the root side of an update, so that a till
// whose root is read-only still updates itself) and the data partition last, so that it can grow to
// the end of the card. Labels name them everywhere.
export const BOOT_LABEL = 'KLUBKORT';
export const ROOT_LABEL = 'klubkort-root';
export const APP_LABEL = 'klubkort-app';
export const DATA_LABEL = 'klubkort-data';
export const MiB = 1024 * 1024;
/**
 * First partition at 4 MiB (erase-block aligned); boot 256 MiB (kernel, initrd, firmware, device
 * trees); releases 512 MiB (a release is ~35 MiB unpacked: current, previous and one being staged,
 * with room for releases many times larger); data 64 MiB before it grows.
 */
export const FIRST_MIB = 4;
export const BOOT_MIB = 256;
export const APP_MIB = 512;
export const DATA_MIB = 64;

export interface Layout {
  bootStart: number;
  rootStart: number;
  rootMiB: number;
  appStart: number;
  dataStart: number;
  totalMiB: number;
}

/** Partition starts in MiB for a root file system of `rootMiB`. */
export function layout(rootMiB: number): Layout {
  const bootStart = FIRST_MIB;
  const rootStart = bootStart + BOOT_MIB;
  const appStart = rootStart + rootMiB;
  const dataStart = appStart + APP_MIB;
  return { bootStart, rootStart, rootMiB, appStart, dataStart, totalMiB: dataStart + DATA_MIB };
}

/** sfdisk's input for the layout (dos label; sectors of 512 bytes). */
export function sfdiskScript(l: Layout): string {
  const s = (mib: number) => mib * 2048;
  return [
    'label: dos',
    `start=${s(l.bootStart)}, size=${s(BOOT_MIB)}, type=c, bootable`,
    `start=${s(l.rootStart)}, size=${s(l.rootMiB)}, type=83`,
    `start=${s(l.appStart)}, size=${s(APP_MIB)}, type=83`,
    `start=${s(l.dataStart)}, size=${s(DATA_MIB)}, type=83`,
    '',
  ].join('\n');
}
