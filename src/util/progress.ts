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
