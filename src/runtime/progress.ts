import cliProgress from 'cli-progress';

/** Progress of a long run: `update` with the amount of work done so far (0..total), `done` at the end. */
export interface Progress {
  update(done: number, label?: string): void;
  done(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Minimum seconds between plain lines when not on a terminal. */
  intervalSeconds?: number;
}

/**
 * A progress bar (cli-progress) on a terminal; on a pipe or in CI, plain lines (`name: 42% label, 12.3 s`)
 * at most every `intervalSeconds`, plus a last one at 100%, so logs stay short and readable. Writes to
 * stderr: stdout is kept for the command's result.
 */
export function createProgress(title: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY
    ? barProgress(title, total, stream)
    : lineProgress(title, total, stream, options.intervalSeconds ?? 10);
}

function barProgress(title: string, total: number, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${title} [{bar}] {percentage}% {label} ({duration_formatted})`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '' });
  return {
    update(done, label = '') {
      bar.update(Math.min(done, total), { label });
    },
    done() {
      bar.stop();
    },
  };
}

function lineProgress(title: string, total: number, stream: NodeJS.WriteStream, intervalSeconds: number): Progress {
  const start = Date.now();
  let last = start;
  let finished = false;
  const line = (done: number, label: string) => {
    const elapsed = ((Date.now() - start) / 1000).toFixed(1);
    const percent = total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 100;
    stream.write(`${title}: ${percent}%${label ? ` ${label}` : ''}, ${elapsed} s\n`);
  };
  return {
    update(done, label = '') {
      const now = Date.now();
      if (done >= total && !finished) {
        finished = true;
        line(done, label);
      } else if (done < total && now - last >= intervalSeconds * 1000) {
        last = now;
        line(done, label);
      }
    },
    done() {
      if (!finished) line(total, 'done');
    },
  };
}
