// Exit codes are part of lastcall's interface: scripts and orchestrators read them.
export const EXIT = {
  usage: 2, // bad flags, bad values, no program
  notExecutable: 126, // shell convention, as tini
  notFound: 127, // shell convention, as tini
  internal: 125, // lastcall itself failed; every child was SIGKILLed first
} as const;

/** A problem with what the user wrote; the message names the value and the fix. */
export class UsageError extends Error {
  readonly exitCode: number = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
