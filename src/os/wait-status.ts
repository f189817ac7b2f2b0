import type { ExitStatus } from '../supervisor/types.js';

/** Decodes a raw waitpid status (WIFEXITED/WEXITSTATUS/WTERMSIG, which are macros, not symbols). */
export function decodeWaitStatus(raw: number): ExitStatus {
  const termsig = raw & 0x7f;
  if (termsig === 0) return { code: (raw >> 8) & 0xff };
  return { signal: termsig };
}
