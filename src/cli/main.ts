import { Command, CommanderError } from 'commander';
import { InputError } from '../model/errors.js';
import { packageInfo } from '../io/provenance.js';
import { commands } from './commands/index.js';

/**
 * `scm-harness` entry point. The CLI is thin (architecture.md): each command parses its flags into the
 * typed configuration a scenario would build, then calls the library. Invalid input → one line, exit 2.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('scm-harness')
    .description('Validate the mean-field theory of two-layer networks against real finite-d networks')
    .version(packageInfo().version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  if (argv.length <= 2) {
    // No command: say what there is (on stderr) and fail, so a script that forgot its command does not pass.
    program.outputHelp({ error: true });
    return 1;
  }
  try {
    await program.parseAsync(argv, { from: 'node' });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander already printed its message for the rest.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`scm-harness: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
