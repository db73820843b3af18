// Ends a kernel whose front end died without shutting it down (a terminal running `jupyter
// console` closed, a server killed): Jupyter puts the pid of the process that starts a kernel in
// its environment as JPY_PARENT_PID, and ipykernel polls for that process every second
// (ParentPollerUnix); so does this. What to do when it is gone is the caller's (cli/kernel.ts).

/**
 * The process to watch, from the kernel's environment (`JPY_PARENT_PID`, which jupyter_client
 * sets), or null: unset, not a pid, or 1 (init never goes away, as ipykernel notes).
 */
export function parentPidFromEnv(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env["JPY_PARENT_PID"];
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return null;
  const pid = Number(raw);
  return Number.isSafeInteger(pid) && pid > 1 ? pid : null;
}

/**
 * Calls `onGone` once, at most `intervalMs` after process `pid` has ended. When `pid` is this
 * process's parent, its end shows as a new parent (the orphan is adopted by init or a subreaper
 * the moment its parent exits, reaped or not), as ipykernel checks. When something stands
 * between them (a wrapper script that did not `exec`), whether `pid` still exists is asked
 * (signal 0). A `pid` that does not exist at the start is not watched (a JPY_PARENT_PID
 * inherited from an unrelated process must not end the kernel). The timer is unref'd: it never
 * keeps the process alive. Returns the function that stops watching.
 */
export function watchParent(pid: number, onGone: () => void, intervalMs = 1000): () => void {
  const direct = process.ppid === pid;
  if (!direct && !processExists(pid)) return () => {};
  const gone = direct ? () => process.ppid !== pid : () => !processExists(pid);
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether a process with this pid exists (one of another user's answers EPERM: it exists). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
