// How a failed file or system call is named in a message for a technician: its errno code
// (ENOENT, EACCES…) when it has one, else its message.
export function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}
