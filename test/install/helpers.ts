// What the install/ tests share: is a process there, is a port bound.
import { createServer } from "node:net";

/** True while a process with this id exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while something listens on 127.0.0.1:port. */
export async function portBound(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => resolve(false));
  });
  if (!bound) await new Promise((r) => server.close(r));
  return bound;
}
