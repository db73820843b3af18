// A user's value as text, for errors, results and logs, whatever the value does: a Proxy whose
// every trap throws, an object with no prototype (String() cannot convert it), a getter that
// throws. "The kernel never dies of a user's mistake": what the kernel makes of a value goes
// through here, so that only plain strings go on towards the wire (and zeromq's native code).

import { inspect, types } from "node:util";

/** What a value that cannot be turned into text at all is shown as. */
export const UNPRINTABLE = "<unprintable value>";

/**
 * `String(value)`; when that throws, Node's inspect (`[Object: null prototype] {}`); else
 * UNPRINTABLE. A Proxy is not inspected (inspect shows its target, not what it does).
 */
export function safeText(value: unknown): string {
  try {
    return String(value);
  } catch {
    // Its own conversion threw: the thrown value is the user's too, and left alone.
  }
  if (types.isProxy(value)) return UNPRINTABLE;
  try {
    return inspect(value, { depth: 2, colors: false });
  } catch {
    return UNPRINTABLE;
  }
}

/** `value[key]`, or undefined when reading it throws (a getter, a Proxy trap). */
export function safeGet(value: unknown, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `value instanceof type`, false when asking throws (a Proxy's getPrototypeOf trap). */
export function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** An error's stack (else its text) for a log line, never throwing. */
export function safeStack(e: unknown): string {
  const stack = isInstance(e, Error) ? safeGet(e, "stack") : undefined;
  return typeof stack === "string" ? stack : safeText(e);
}
