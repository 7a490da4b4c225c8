import type { Command } from 'commander';
import { scenarioJsonSchema } from '../../studies/scenario/schema.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of scenario files (e.g. scm-harness schema > scenario.schema.json)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });
}
