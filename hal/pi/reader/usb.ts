// Whether the ACR122U is on the USB bus, read from sysfs: the kernel's view, independent of pcscd,
// so that a reader that is plugged in but missing from PC/SC can be told from one unplugged.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const USB_DEVICES = '/sys/bus/usb/devices';
/** ACS ACR122U (PICC interface). */
export const ACR122U_USB = { vendor: '072f', product: '2200' } as const;

const attr = (dir: string, name: string) =>
  readFile(join(dir, name), 'utf8').then(
    (s) => s.trim().toLowerCase(),
    () => null,
  );

/**
 * True when a device with `id` is on USB, false when none is, null when sysfs cannot tell (no
 * /sys/bus/usb: not Linux, or a container without it), in which case only PC/SC is believed.
 */
export async function usbDevicePresent(
  root = USB_DEVICES,
  id: { vendor: string; product: string } = ACR122U_USB,
): Promise<boolean | null> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return null;
  }
  for (const e of entries) {
    const dir = join(root, e);
    if ((await attr(dir, 'idVendor')) === id.vendor && (await attr(dir, 'idProduct')) === id.product) return true;
  }
  return false;
}
