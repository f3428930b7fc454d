/**
 * The server's logger: pino JSON lines with request ids, secrets redacted. Request lines carry the method, the
 * path without its query string, and no headers; bodies are never logged, and the redact paths below catch
 * secrets anything else logs under a usual name.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

/** Field names that hold secrets, at any of the first three levels of a log line. */
const SECRET_FIELDS = [
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "password",
  "passphrase",
  "token",
  "secret",
  "privateKey",
  "secretKey",
  "masterKey",
];

/** pino `redact` paths for {@link SECRET_FIELDS}. */
export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((f) => [
  `["${f}"]`,
  `*["${f}"]`,
  `*.*["${f}"]`,
  `req.headers["${f}"]`,
]);

/** The redact option the server's loggers use. */
export const REDACT = { paths: [...REDACT_PATHS], censor: "[redacted]" };

/** A pino logger with the server's redaction; `destination` defaults to stdout. */
export function serverLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const opts: LoggerOptions = { level: options.level ?? "info", redact: REDACT };
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination);
}
