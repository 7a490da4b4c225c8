/**
 * Invalid user input (a CLI flag, a scenario field, an overlaps file). `where` names the flag or the
 * JSON path of the problem; the CLI prints `where: message` on one line and exits with code 2.
 */
export class InputError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'InputError';
  }
}
