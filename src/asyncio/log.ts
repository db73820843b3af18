// The `asyncio` logger: where the library reports what it cannot throw (errors in callbacks,
// slow callbacks in debug mode, tasks whose exception nobody retrieved). Python's `logging`
// is not available, so this is a small logger with the same levels and a settable destination.

/** Logging levels, numbered as Python's `logging` numbers them. */
export const LogLevel = {
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const;

/** One message, as handlers receive it. */
export interface LogRecord {
  readonly name: string;
  readonly level: number;
  readonly levelName: string;
  readonly message: string;
  /** The error that goes with the message, if any; handlers usually print its stack. */
  readonly exception?: unknown;
  /** `Date.now()` when the record was made. */
  readonly created: number;
}

/** Receives the records a logger lets through. */
export type LogHandler = (record: LogRecord) => void;

function levelName(level: number): string {
  for (const [name, value] of Object.entries(LogLevel)) if (value === level) return name;
  return `Level ${level}`;
}

/** Formats a record as one block of text: `ERROR:asyncio:message` and the error's stack. */
export function formatRecord(record: LogRecord): string {
  let text = `${record.levelName}:${record.name}:${record.message}`;
  if (record.exception !== undefined) {
    const e = record.exception;
    text += "\n" + (e instanceof Error && e.stack ? e.stack : String(e));
  }
  return text;
}

/** The default destination: standard error, one block per record. */
export const stderrHandler: LogHandler = (record) => {
  process.stderr.write(formatRecord(record) + "\n");
};

/**
 * A named logger with a level and a list of handlers. With no handlers of its own it hands each
 * record to `lastResort` (standard error), so nothing the library reports is silently lost.
 *
 * @example
 * ```ts
 * import { logger, LogLevel } from "asyncio-ts";
 * logger.setLevel(LogLevel.DEBUG);
 * logger.addHandler((r) => console.log(r.levelName, r.message));
 * ```
 */
export class Logger {
  readonly name: string;
  /** Records below this level are dropped. Python's default (via the root logger) is WARNING. */
  level: number = LogLevel.WARNING;
  readonly handlers: LogHandler[] = [];
  /**
   * Receives the records when the logger has no handlers of its own, as Python's
   * `logging.lastResort`: `stderrHandler` (`LEVEL:name:message` on standard error). A host that
   * shows standard error elsewhere replaces it (the kernel writes under the cell whose code
   * logged).
   */
  lastResort: LogHandler = stderrHandler;

  constructor(name: string) {
    this.name = name;
  }

  setLevel(level: number): void {
    this.level = level;
  }

  isEnabledFor(level: number): boolean {
    return level >= this.level;
  }

  addHandler(handler: LogHandler): void {
    this.handlers.push(handler);
  }

  removeHandler(handler: LogHandler): void {
    const i = this.handlers.indexOf(handler);
    if (i >= 0) this.handlers.splice(i, 1);
  }

  log(level: number, message: string, exception?: unknown): void {
    if (level < this.level) return;
    const record: LogRecord = {
      name: this.name,
      level,
      levelName: levelName(level),
      message,
      created: Date.now(),
      ...(exception === undefined ? {} : { exception }),
    };
    const handlers = this.handlers.length > 0 ? this.handlers : [this.lastResort];
    for (const handler of handlers) {
      try {
        handler(record);
      } catch (e) {
        // A broken handler must not turn a log call into a crash of the caller.
        process.stderr.write(`--- Logging error in handler of ${this.name} ---\n${String(e)}\n`);
      }
    }
  }

  debug(message: string, exception?: unknown): void {
    this.log(LogLevel.DEBUG, message, exception);
  }
  info(message: string, exception?: unknown): void {
    this.log(LogLevel.INFO, message, exception);
  }
  warning(message: string, exception?: unknown): void {
    this.log(LogLevel.WARNING, message, exception);
  }
  error(message: string, exception?: unknown): void {
    this.log(LogLevel.ERROR, message, exception);
  }
}

/** The logger named `asyncio`: the library's reports go here. */
export const logger = new Logger("asyncio");
