import cliProgress from 'cli-progress';

/** A progress bar on an interactive terminal; silent in CI or when stderr is not a TTY. */
export interface Progress {
  tick(n?: number, label?: string): void;
  stop(): void;
}

export function progress(total: number, title: string): Progress {
  const interactive = Boolean(process.stderr.isTTY) && !process.env.CI;
  if (!interactive) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {value}/{total} {label}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let value = 0;
  bar.start(total, 0, { label: '' });
  return {
    tick(n = 1, label = '') {
      value += n;
      bar.update(value, { label });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Wrap one long step that has no measurable progress (a yosys run, a Verilator build) in an activity line on an
 * interactive terminal — `title … 12 s`, updated every second while the event loop is free, cleared when done. Silent in CI or when stderr
 * is not a TTY, so logs and tests stay clean.
 */
export async function withActivity<T>(title: string, work: () => Promise<T>): Promise<T> {
  const interactive = Boolean(process.stderr.isTTY) && !process.env.CI;
  if (!interactive) return work();
  const t0 = Date.now();
  // The first line has no time: work that blocks the event loop (the in-process WASM yosys) never lets the timer run.
  process.stderr.write(`\r\x1b[2K${title} …`);
  const timer = setInterval(() => process.stderr.write(`\r\x1b[2K${title} … ${Math.round((Date.now() - t0) / 1000)} s`), 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\x1b[2K');
  }
}
