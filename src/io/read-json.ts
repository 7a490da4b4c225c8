import { readFileSync } from 'node:fs';
import { InputError } from '../model/errors.js';

/**
 * Read and parse a JSON input file (scenario, --init, --from ...). An unreadable file or invalid JSON is
 * an InputError at `where` (a flag or a file path), so the CLI prints one line and exits 2. `name` is how
 * the message calls the file (default: its path).
 */
export function readJsonFile(path: string, where: string, name: string = path): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(where, `cannot read ${name} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(where, `${name} is not valid JSON (${(err as Error).message})`);
  }
}
