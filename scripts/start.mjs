// `npm start`: the entry point; install/start.mjs does the work (`npm start -- --help`).
import { start } from "../install/start.mjs";

start(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
