/**
 * A publish's progress on stderr, from the engine's PublishProgress events: on a terminal one line redrawn
 * in place (the step, writes done of planned, bytes written, the key being written); elsewhere nothing
 * while it runs, since the command prints a one-line summary when it ends.
 */
import { humanBytes } from "./human-bytes.ts";
import type { PublishProgress } from "./repo.ts";

/** What each step of a publish does, in words. */
const STEP_WORDS: Readonly<Record<PublishProgress["step"], string>> = {
  plan: "planning",
  blobs: "writing files",
  indexes: "writing indexes",
  states: "writing state",
  top: "signing",
  pointers: "committing",
  prune: "pruning",
};

/** How often the line is redrawn at most (an upload of many small files reports each). */
const REDRAW_MS = 100;

/** Renders PublishProgress; call {@link PublishProgressView.finish} when the publish ends, failed or not. */
export class PublishProgressView {
  private readonly out: (text: string) => void;
  private readonly tty: boolean;
  private readonly columns: number;
  private readonly now: () => number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastStep: string | undefined;
  private drawn = false;

  constructor(options: { write(text: string): void; tty: boolean; columns?: number; now?: () => number }) {
    this.out = options.write;
    this.tty = options.tty;
    this.columns = Math.max(40, options.columns || 80);
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes one event from the engine. */
  event(p: PublishProgress): void {
    if (!this.tty) return;
    const now = this.now();
    // A new step, or a step's last write, is always shown; the writes between are sampled.
    if (p.step === this.lastStep && p.done < p.total && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.lastStep = p.step;
    this.out(`\r${publishProgressLine(p).slice(0, this.columns - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Leaves the line (the cursor moves on to the next). */
  finish(): void {
    if (this.drawn) this.out("\r\x1b[K");
    this.drawn = false;
  }
}

/** `writing indexes  3/12  1.2 MiB written  deb/dists/stable/main/binary-amd64/Packages.gz`. */
export function publishProgressLine(p: PublishProgress): string {
  return [
    STEP_WORDS[p.step].padEnd(18),
    `${p.done}/${p.total}`.padStart(7),
    `${humanBytes(p.bytes)} written`,
    ...(p.key !== undefined ? [p.key] : []),
  ].join("  ");
}
