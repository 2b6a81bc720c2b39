import { Presets, SingleBar } from 'cli-progress';

/** Reports progress of a long run: a bar on a terminal, a line per 25% otherwise, nothing when quiet. */
export interface Progress {
  start(label: string, total: number): void;
  tick(): void;
  log(line: string): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WritableStream | undefined): Progress {
  if (!stream) return { start() {}, tick() {}, log() {}, stop() {} };
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  let bar: SingleBar | undefined;
  let label = '';
  let total = 0;
  let done = 0;
  let lastQuarter = -1;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    start(l, t) {
      stop();
      label = l;
      total = t;
      done = 0;
      lastQuarter = -1;
      if (tty) {
        bar = new SingleBar({ format: `${l.padEnd(34).slice(0, 34)} [{bar}] {value}/{total} | {eta}s left`, stream, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
        bar.start(t, 0);
      } else stream.write(`${label}: ${t} queries\n`);
    },
    tick() {
      done += 1;
      if (bar) bar.update(done);
      else {
        const quarter = Math.floor((done / Math.max(1, total)) * 4);
        if (quarter !== lastQuarter && quarter > 0 && quarter < 4) stream.write(`  ${label}: ${done}/${total}\n`);
        lastQuarter = quarter;
      }
    },
    log(line) {
      stop();
      stream.write(`${line}\n`);
    },
    stop,
  };
}
