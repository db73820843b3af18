// What the JavaScript echo servers share: their command line, and how they end. A server
// serves until its stdin closes (the harness closes it, and it closes when the harness dies),
// SIGTERM, or --max-seconds have passed (a safety bound), then exits at once.

/** Parses --api=, --mode= and --max-seconds= (default 900). */
export function serverArgs(argv = process.argv.slice(2)) {
  const get = (name, dflt) => (argv.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}=${dflt}`).slice(name.length + 3);
  return { api: get("api", "protocol"), mode: get("mode", "lines"), maxSeconds: Number(get("max-seconds", "900")) };
}

/** Arranges for the process to exit when told (stdin closed or SIGTERM) or after maxSeconds. */
export function serveUntilTold(maxSeconds, closeServer) {
  const stop = () => {
    try {
      closeServer();
    } finally {
      process.exit(0);
    }
  };
  process.stdin.on("data", () => {});
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.on("error", stop);
  process.on("SIGTERM", stop);
  setTimeout(stop, maxSeconds * 1000).unref();
}
