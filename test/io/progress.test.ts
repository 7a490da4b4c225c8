import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from '../../src/runtime/progress.js';

/** A fake stderr: records what is written; a TTY or not. */
function stream(isTTY: boolean) {
  const s = { isTTY, columns: 200, text: '', write: (chunk: string) => ((s.text += chunk), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

/** A clock the test moves by hand (ms). */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (seconds: number) => (t += seconds * 1000) };
}

describe('progress off a terminal: periodic plain lines with n/total, rate and ETA', () => {
  it('prints at most every interval, with count, percentage, rate, ETA and a closing line', () => {
    const out = stream(false);
    const c = clock();
    const p = createProgress('stats', 400, { stream: out, unit: 'runs', intervalSeconds: 10, now: c.now });
    c.advance(5);
    p.update(10);
    expect(out.text).toBe(''); // before the first interval
    c.advance(5);
    p.update(20); // 20 runs in 10 s: 2 runs/s, 380 left → 190 s
    expect(out.text).toBe('stats: 20/400 runs (5%), 2.00 runs/s, ETA 3 min 10 s, 10.0 s\n');
    c.advance(1);
    p.update(22);
    expect(out.text.split('\n')).toHaveLength(2); // still one line
    c.advance(189);
    p.update(400);
    p.done();
    expect(out.text.trimEnd().split('\n').at(-1)).toBe('stats: 400/400 runs (100%), 2.00 runs/s, 3 min 20 s');
  });

  it('finalLine after-periodic: a run shorter than the interval prints nothing at all', () => {
    const out = stream(false);
    const p = createProgress('train', 100, { stream: out, unit: 'steps', finalLine: 'after-periodic' });
    for (let i = 0; i <= 100; i++) p.update(i);
    p.done();
    expect(out.text).toBe('');
  });

  it('finalLine always (default): a short run prints its closing line once', () => {
    const out = stream(false);
    const c = clock();
    const p = createProgress('study', 10, { stream: out, unit: 'jobs', now: c.now });
    c.advance(2);
    for (let i = 0; i <= 10; i++) p.update(i, `(${i})`);
    p.done();
    expect(out.text).toBe('study: 10/10 jobs (100%) (10), 5.00 jobs/s, 2.0 s\n');
  });

  it('a resumed run counts the work already done but not in the rate', () => {
    const out = stream(false);
    const c = clock();
    const p = createProgress('stats', 100, { stream: out, unit: 'runs', initial: 90, intervalSeconds: 0, now: c.now });
    c.advance(4);
    p.update(92); // 2 new runs in 4 s: 0.5 runs/s, 8 left → 16 s
    expect(out.text).toBe('stats: 92/100 runs (92%), 0.50 runs/s, ETA 16 s, 4.0 s\n');
  });

  it('without a unit (abstract cost): percentage, ETA and the label only', () => {
    const out = stream(false);
    const c = clock();
    const p = createProgress('quickstart', 1e9, { stream: out, intervalSeconds: 0, now: c.now });
    c.advance(30);
    p.update(2.5e8, '(1/6 ensembles)');
    expect(out.text).toBe('quickstart: 25% (1/6 ensembles), ETA 1 min 30 s, 30.0 s\n');
  });
});

describe('progress on a terminal: one cli-progress bar', () => {
  it('shows n/total, the rate and the ETA', () => {
    const out = stream(true);
    const c = clock();
    const p = createProgress('stats', 40, { stream: out, unit: 'runs', now: c.now });
    c.advance(10);
    p.update(10);
    p.done();
    expect(out.text).toContain('stats [');
    expect(out.text).toContain('10/40 runs');
    expect(out.text).toContain('1.00 runs/s');
    expect(out.text).toContain('ETA 30 s');
    // Redrawn in place (no stale characters from a hand-written \r line): one final newline.
    expect(out.text.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('formatDuration', () => {
  it.each([
    [0.4, '0 s'],
    [59, '59 s'],
    [61, '1 min 01 s'],
    [3599, '59 min 59 s'],
    [7260, '2 h 01 min'],
    [Number.NaN, '?'],
  ])('%s s → %s', (s, text) => expect(formatDuration(s)).toBe(text));
});
