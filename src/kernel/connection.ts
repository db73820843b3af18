// The connection file Jupyter writes for a kernel: where to bind and how to sign. The kernel
// binds only where it says.

import { readFileSync } from "node:fs";

/** The parsed connection file. */
export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

const PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;

/**
 * Reads and checks a connection file.
 * @throws Error naming the file and what is wrong with it.
 */
export function readConnectionFile(path: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`cannot read connection file ${path}: ${(e as Error).message}`);
  }
  return parseConnectionInfo(raw, path);
}

/** Checks a connection-file object. */
export function parseConnectionInfo(raw: unknown, source = "connection info"): ConnectionInfo {
  if (raw === null || typeof raw !== "object") throw new Error(`${source}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  const transport = o["transport"] ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") throw new Error(`${source}: transport must be "tcp" or "ipc", not ${JSON.stringify(transport)}`);
  if (typeof o["ip"] !== "string" || o["ip"] === "") throw new Error(`${source}: "ip" is missing`);
  for (const p of PORTS) {
    const v = o[p];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`${source}: "${p}" must be a port number, not ${JSON.stringify(v)}`);
  }
  const scheme = o["signature_scheme"] ?? "hmac-sha256";
  if (scheme !== "hmac-sha256") throw new Error(`${source}: unsupported signature_scheme ${JSON.stringify(scheme)}`);
  return {
    transport,
    ip: o["ip"],
    shell_port: o["shell_port"] as number,
    iopub_port: o["iopub_port"] as number,
    stdin_port: o["stdin_port"] as number,
    control_port: o["control_port"] as number,
    hb_port: o["hb_port"] as number,
    key: typeof o["key"] === "string" ? o["key"] : "",
    signature_scheme: scheme,
    ...(typeof o["kernel_name"] === "string" ? { kernel_name: o["kernel_name"] } : {}),
  };
}

/** The ZeroMQ endpoint of one channel. */
export function endpoint(info: ConnectionInfo, port: number): string {
  return info.transport === "tcp" ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
