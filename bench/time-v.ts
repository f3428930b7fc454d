/** Parses the report of GNU `/usr/bin/time -v` (written with `-o FILE`). */

export interface TimeReport {
  /** Elapsed wall-clock seconds. */
  wallSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  /** Peak resident set size in KiB ("Maximum resident set size (kbytes)"). */
  maxRssKiB: number;
  exitStatus: number;
}

/** `h:mm:ss` or `m:ss.cc` (what time -v prints for elapsed time) in seconds. */
export function parseElapsed(text: string): number {
  const parts = text.trim().split(":").map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isFinite(n))) {
    throw new Error(`time -v: expected elapsed time as h:mm:ss or m:ss.cc, found ${JSON.stringify(text)}`);
  }
  return parts.reduce((acc, n) => acc * 60 + n, 0);
}

function field(report: string, label: string): string {
  for (const line of report.split("\n")) {
    const t = line.trim();
    if (t.startsWith(label)) {
      // The label itself may contain colons ("(h:mm:ss or m:ss)"): the value follows the last ": ".
      return t.slice(t.lastIndexOf(": ") + 2);
    }
  }
  throw new Error(`time -v: expected a line starting with "${label}", found none`);
}

/** Reads wall time, CPU times, peak RSS and exit status out of a `time -v` report. */
export function parseTimeV(report: string): TimeReport {
  const num = (label: string): number => {
    const v = Number(field(report, label));
    if (!Number.isFinite(v)) throw new Error(`time -v: "${label}" is not a number`);
    return v;
  };
  return {
    wallSeconds: parseElapsed(field(report, "Elapsed (wall clock) time")),
    userSeconds: num("User time (seconds)"),
    systemSeconds: num("System time (seconds)"),
    maxRssKiB: num("Maximum resident set size (kbytes)"),
    exitStatus: num("Exit status"),
  };
}
