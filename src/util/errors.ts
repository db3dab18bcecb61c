/**
 * A user-facing error: the CLI prints its message on one line (no stack unless --debug) and exits non-zero.
 * The message names the field / thing at fault and says what to do.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Throw a UserError naming `field` (a JSON path, option name, port, ...) and what is wrong with it. */
export function fail(field: string, problem: string): never {
  throw new UserError(`${field}: ${problem}`);
}
