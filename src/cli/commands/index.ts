import type { Command } from 'commander';

/** Every subcommand registers itself on the program; one line per command. */
export const commands: ((program: Command) => void)[] = [];
