/**
 * `packyard build`'s progress on stderr, from the build API's BuildProgress events. On a terminal, one bar
 * per packager (files and bytes read, bytes written, rate) redrawn in place and left behind, finished,
 * when the packager is done. Elsewhere (a CI log, a pipe) plain lines: one when a packager starts and one
 * every few seconds while it writes. The CLI reads the clock here, never the library.
 */
import type { BuildProgress } from "./formats.ts";
import { humanBytes } from "./human-bytes.ts";

/** Where the time comes from and how a repeating tick is set up (tests pass fake ones). */
export interface ProgressClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

/** The real clock; its timer never keeps the process alive. */
export const systemClock: ProgressClock = {
  now: () => performance.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

export interface ProgressOptions {
  write(text: string): void;
  /** Redraw a bar in place (a terminal), or print plain lines. */
  tty: boolean;
  /** Terminal width (default 80). */
  columns?: number;
  /** Milliseconds between two plain lines about one packager (default 5000). */
  intervalMs?: number;
  /** How a path is shown (default: as given). */
  show?: (path: string) => string;
  clock?: ProgressClock;
}

/** Cells the text after a bar usually takes (`  97%  2nd pass  28.6/28.6 MiB -> 28.0 MiB  56.0 MiB/s`). */
const TAIL_CELLS = 54;

/** How often a terminal bar is redrawn, so the rate moves even between events. */
const REDRAW_MS = 100;

/** The packager being written. */
interface Current {
  packager: string;
  path: string;
  totalFiles: number;
  totalBytes: number;
  files: number;
  bytes: number;
  /** Readings of the contents so far (2 while a writer reads files a second time) and their bytes. */
  pass: number;
  passBytes: number;
  written: number;
  started: number;
  /** When the last plain line about it was printed (its start, at first). */
  lastLine: number;
}

/** Renders BuildProgress events; call {@link Progress.finish} when the build ends, failed or not. */
export class Progress {
  private readonly out: (text: string) => void;
  private readonly tty: boolean;
  private readonly columns: number;
  private readonly intervalMs: number;
  private readonly show: (path: string) => string;
  private readonly clock: ProgressClock;
  private current: Current | undefined;
  /** True while an unfinished bar is on screen (the cursor is at its end). */
  private drawn = false;
  private stopTick: (() => void) | undefined;

  constructor(options: ProgressOptions) {
    this.out = options.write;
    this.tty = options.tty;
    // A pseudo-terminal that was never sized reports 0 columns.
    this.columns = Math.max(40, options.columns || 80);
    this.intervalMs = options.intervalMs ?? 5000;
    this.show = options.show ?? ((p) => p);
    this.clock = options.clock ?? systemClock;
  }

  /** Takes one event from the build. */
  event(e: BuildProgress): void {
    switch (e.kind) {
      case "start": {
        const now = this.clock.now();
        this.current = {
          packager: e.packager,
          path: e.path,
          totalFiles: e.files,
          totalBytes: e.bytes,
          files: 0,
          bytes: 0,
          pass: 1,
          passBytes: 0,
          written: 0,
          started: now,
          lastLine: now,
        };
        this.startTicking();
        if (this.tty) this.draw();
        else
          this.out(
            `${e.packager}: writing ${this.show(e.path)} (${count(e.files, "file")}, ${humanBytes(e.bytes)})\n`,
          );
        return;
      }
      case "read":
        if (this.current?.packager === e.packager) {
          this.current.files = e.files;
          this.current.bytes = e.bytes;
          this.current.pass = e.pass;
          this.current.passBytes = e.passBytes;
        }
        return;
      case "write":
        if (this.current?.packager === e.packager) this.current.written = e.written;
        return;
      case "done":
        if (this.current?.packager === e.packager) {
          this.current.written = e.artifact.size;
          if (this.tty) {
            this.draw(true);
            this.out("\n");
            this.drawn = false;
          }
          this.current = undefined;
        }
        return;
      case "signed":
        this.log(`${e.packager}: signed ${this.show(e.path)}\n`);
        return;
      case "checksums":
        this.log(`checksums: writing ${this.show(e.path)}\n`);
        return;
      default:
        return;
    }
  }

  /** Prints `text` (whole lines) without breaking a bar: the bar is cleared, and redrawn below it. */
  log(text: string): void {
    if (this.tty && this.drawn) {
      this.out(`\r\x1b[K${text}`);
      this.drawn = false;
      this.draw();
    } else {
      this.out(text);
    }
  }

  /** Stops the clock; a bar left unfinished (the build failed) keeps its line and the cursor moves on. */
  finish(): void {
    this.stopTick?.();
    this.stopTick = undefined;
    if (this.tty && this.drawn) this.out("\n");
    this.drawn = false;
    this.current = undefined;
  }

  private startTicking(): void {
    if (this.stopTick !== undefined) return;
    // A plain line is due every intervalMs; checking five times as often keeps it within a fifth of that.
    const ms = this.tty ? REDRAW_MS : Math.max(10, Math.floor(this.intervalMs / 5));
    this.stopTick = this.clock.every(ms, () => this.tick());
  }

  private tick(): void {
    const c = this.current;
    if (c === undefined) return;
    if (this.tty) {
      this.draw();
      return;
    }
    const now = this.clock.now();
    if (now - c.lastLine < this.intervalMs) return;
    c.lastLine = now;
    const rate = this.rate(c, now);
    this.out(
      `${c.packager}: ${humanBytes(c.written)} written${rate !== undefined ? `, ${humanBytes(rate)}/s` : ""}` +
        ` (${c.files}/${count(c.totalFiles, "file")}, ${this.percent(c, false) ?? "0%"} read` +
        `${this.passNote(c, false) !== undefined ? `, ${this.passNote(c, false)}` : ""})\n`,
    );
  }

  /** Bytes written per second since the packager started, once there is something to divide. */
  private rate(c: Current, now: number): number | undefined {
    const seconds = (now - c.started) / 1000;
    return seconds >= 0.2 && c.written > 0 ? Math.round(c.written / seconds) : undefined;
  }

  /**
   * How far the writer is, from what it has read: the share of the input read once, then, when it reads
   * the files again (Arch and apk hash before they write), the share read the second time, which is the
   * slow pass. Reading every byte is not the end (a writer compresses after reading), so only `done`
   * shows 100%.
   */
  private fraction(c: Current, done: boolean): number | undefined {
    if (done) return 1;
    if (c.totalBytes === 0) return c.totalFiles > 0 ? c.files / c.totalFiles : undefined;
    const readOnce = c.bytes >= c.totalBytes && c.files >= c.totalFiles;
    return readOnce && c.pass > 1 ? c.passBytes / c.totalBytes : c.bytes / c.totalBytes;
  }

  private percent(c: Current, done: boolean): string | undefined {
    const f = this.fraction(c, done);
    return f === undefined ? undefined : `${done ? 100 : Math.min(99, Math.floor(f * 100))}%`;
  }

  /** `2nd pass` while the writer reads the files again after reading them all once. */
  private passNote(c: Current, done: boolean): string | undefined {
    const readOnce = c.bytes >= c.totalBytes && c.files >= c.totalFiles;
    return !done && readOnce && c.pass > 1 ? `${ordinal(c.pass)} pass` : undefined;
  }

  /** Draws the bar of the current packager over the line the cursor is on. */
  private draw(done = false): void {
    const c = this.current;
    if (c === undefined) return;
    const now = this.clock.now();
    const rate = this.rate(c, now);
    const note = this.passNote(c, done);
    // `52%  3/5 files  28.5/28.6 MiB -> 16.0 MiB  14.9 MiB/s`: input read -> output written, output rate.
    const tail = [
      (this.percent(c, done) ?? "").padStart(4),
      note ?? (done ? count(c.totalFiles, "file") : `${c.files}/${count(c.totalFiles, "file")}`),
      `${done ? humanBytes(c.totalBytes) : bytePair(c.bytes, c.totalBytes)} -> ${humanBytes(c.written)}`,
      ...(done
        ? [`${((now - c.started) / 1000).toFixed(1)} s`]
        : rate !== undefined
          ? [`${humanBytes(rate)}/s`]
          : []),
    ].join("  ");
    const name = c.packager.padEnd(9);
    // The bar's width follows the terminal's (10 to 30 cells), not the text beside it, so it does not
    // jump as the numbers grow; the last column stays free so the terminal never wraps.
    const width = Math.max(10, Math.min(30, this.columns - 1 - name.length - 4 - TAIL_CELLS));
    const full = Math.round(Math.min(1, this.fraction(c, done) ?? 0) * width);
    const line = `${name} [${"#".repeat(full)}${"-".repeat(width - full)}] ${tail}`;
    this.out(`\r${line.slice(0, this.columns - 1)}\x1b[K`);
    this.drawn = !done;
  }
}

/** `12.0/28.6 MiB`, or `512 B/28.6 MiB` when the units differ. */
function bytePair(n: number, total: number): string {
  const a = humanBytes(n);
  const b = humanBytes(total);
  const unit = b.slice(b.indexOf(" "));
  return a.endsWith(unit) ? `${a.slice(0, -unit.length)}/${b}` : `${a}/${b}`;
}

function ordinal(n: number): string {
  return n === 2 ? "2nd" : n === 3 ? "3rd" : `${n}th`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
