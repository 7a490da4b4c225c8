import cliProgress from 'cli-progress';

/** Progress of a long run: `update` with the amount of work done so far (0..total), `done` at the end. */
export interface Progress {
  update(done: number, label?: string): void;
  done(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Minimum seconds between plain lines when not on a terminal (default: $SCM_HARNESS_PROGRESS_SECONDS, else 10). */
  intervalSeconds?: number;
  /**
   * What one unit of work is ("runs", "steps", "seeds"): shown as `n/total unit` and `rate unit/s`. Without
   * it the work is an abstract cost (e.g. training steps × seeds × d summed over ensembles): only the
   * percentage, the ETA and the label are shown.
   */
  unit?: string;
  /** Work already done before this process started (a resumed run): shown, but not counted in the rate. */
  initial?: number;
  /**
   * Off a terminal: 'always' prints a closing line at 100% (default); 'after-periodic' only when a periodic
   * line was printed before, so a short run stays silent (for commands that print their own summary).
   */
  finalLine?: 'always' | 'after-periodic';
  /** Clock in ms (tests). */
  now?: () => number;
}

/** "42 s", "3 min 05 s", "2 h 07 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Three significant digits, without exponent for the usual range. */
function formatRate(rate: number): string {
  if (rate >= 100) return rate.toFixed(0);
  if (rate >= 10) return rate.toFixed(1);
  if (rate >= 1) return rate.toFixed(2);
  return rate.toPrecision(2);
}

/** The numbers both displays show, from the work done and the clock. */
export class ProgressMeter {
  private readonly start: number;
  private readonly base: number;
  value: number;

  constructor(
    readonly total: number,
    readonly unit: string | undefined,
    initial: number,
    private readonly now: () => number,
  ) {
    this.start = now();
    this.base = Math.min(initial, total);
    this.value = this.base;
  }

  elapsedSeconds(): number {
    return (this.now() - this.start) / 1000;
  }

  /** Units of work per second in this process (resumed work excluded); NaN before any progress. */
  rate(): number {
    const t = this.elapsedSeconds();
    const work = this.value - this.base;
    return work > 0 && t > 0 ? work / t : Number.NaN;
  }

  etaSeconds(): number {
    const rate = this.rate();
    return this.value >= this.total ? 0 : (this.total - this.value) / rate;
  }

  percent(): number {
    return this.total > 0 ? Math.floor((100 * Math.min(this.value, this.total)) / this.total) : 100;
  }

  /** `12/400 runs` (or '' without a unit). */
  count(): string {
    return this.unit === undefined ? '' : `${Math.round(this.value)}/${Math.round(this.total)} ${this.unit}`;
  }

  /** `3.1 runs/s` (or '' without a unit; '–' before the first unit of work). */
  rateText(): string {
    if (this.unit === undefined) return '';
    const rate = this.rate();
    return Number.isNaN(rate) ? `– ${this.unit}/s` : `${formatRate(rate)} ${this.unit}/s`;
  }

  etaText(): string {
    const eta = this.etaSeconds();
    return Number.isFinite(eta) ? formatDuration(eta) : '–';
  }

  /**
   * The plain-line form: `stats: 12/400 runs (3%) LABEL, 3.1 runs/s, ETA 2 min 05 s, 4.0 s`, or without a
   * unit `quickstart: 25% LABEL, ETA 1 min 30 s, 30.0 s` (the last figure is the elapsed time).
   */
  line(title: string, label: string): string {
    const count = this.count();
    const head = count ? `${count} (${this.percent()}%)` : `${this.percent()}%`;
    const t = this.elapsedSeconds();
    const elapsed = t < 60 ? `${t.toFixed(1)} s` : formatDuration(t);
    const parts = [this.rateText(), this.value >= this.total ? '' : `ETA ${this.etaText()}`, elapsed].filter(Boolean);
    return `${title}: ${head}${label ? ` ${label}` : ''}, ${parts.join(', ')}`;
  }
}

/**
 * A progress bar (cli-progress) on a terminal: count, percentage, rate, ETA and elapsed time. On a pipe or in
 * CI, plain lines with the same numbers at most every `intervalSeconds`, and a closing line at 100% (see
 * `finalLine`), so logs stay short and readable. Writes to stderr: stdout is kept for the command's result.
 */
export function createProgress(title: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const meter = new ProgressMeter(total, options.unit, options.initial ?? 0, options.now ?? Date.now);
  return stream.isTTY
    ? barProgress(title, meter, stream)
    : lineProgress(
        title,
        meter,
        stream,
        options.intervalSeconds ?? lineInterval(),
        options.now ?? Date.now,
        options.finalLine ?? 'always',
      );
}

/** Seconds between plain progress lines: SCM_HARNESS_PROGRESS_SECONDS (e.g. 60 for long batch jobs, 0 for every update), else 10. */
function lineInterval(): number {
  const v = Number(process.env.SCM_HARNESS_PROGRESS_SECONDS);
  return process.env.SCM_HARNESS_PROGRESS_SECONDS !== undefined && Number.isFinite(v) && v >= 0 ? v : 10;
}

function barProgress(title: string, meter: ProgressMeter, stream: NodeJS.WriteStream): Progress {
  const payload = (label: string) => ({
    count: meter.count() ? ` ${meter.count()} |` : '',
    rate: meter.rateText() ? ` ${meter.rateText()} |` : '',
    remaining: meter.etaText(),
    elapsed: formatDuration(meter.elapsedSeconds()),
    label,
  });
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${title} [{bar}] {percentage}% |{count}{rate} ETA {remaining} | {elapsed} {label}`,
      hideCursor: true,
      clearOnComplete: false,
      // Our own tokens change on every update, so redraw at most 5 times a second.
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(meter.total, meter.value, payload(''));
  let stopped = false;
  return {
    update(done, label = '') {
      meter.value = Math.min(done, meter.total);
      bar.update(meter.value, payload(label));
    },
    done() {
      if (stopped) return;
      stopped = true;
      bar.update(meter.value, payload(''));
      bar.stop();
    },
  };
}

function lineProgress(
  title: string,
  meter: ProgressMeter,
  stream: NodeJS.WriteStream,
  intervalSeconds: number,
  now: () => number,
  finalLine: 'always' | 'after-periodic',
): Progress {
  let last = now();
  let printed = false;
  let finished = false;
  const print = (label: string) => {
    printed = true;
    stream.write(`${meter.line(title, label)}\n`);
  };
  const finish = (label: string) => {
    if (finished) return;
    finished = true;
    if (finalLine === 'always' || printed) print(label);
  };
  return {
    update(done, label = '') {
      meter.value = Math.min(done, meter.total);
      if (meter.value >= meter.total) {
        finish(label);
        return;
      }
      const t = now();
      if (t - last >= intervalSeconds * 1000) {
        last = t;
        print(label);
      }
    },
    done() {
      finish('done');
    },
  };
}
