// The Jupyter wire format: a message as ZeroMQ frames, signed with HMAC-SHA256.
//
//   [identities...] <IDS|MSG> signature header parent_header metadata content [buffers...]
//
// The signature is the hex HMAC of the four JSON frames. An incoming message whose signature
// is missing or wrong is refused (never executed); the comparison is constant-time, so the
// time it takes reveals nothing about the expected signature. Nothing here touches sockets.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { Incoming, Message } from "./messages.js";

const DELIMITER = Buffer.from("<IDS|MSG>");

/** Why an incoming message was refused. */
export class WireError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = "WireError";
    this.code = code;
  }
}

/** Signs and checks messages with one key (an empty key means no signatures, as Jupyter allows). */
export class Signer {
  private readonly _key: Buffer;
  private readonly _scheme: string;

  constructor(key: string | Buffer, scheme = "hmac-sha256") {
    if (scheme !== "hmac-sha256") throw new WireError(`unsupported signature scheme ${JSON.stringify(scheme)}`, "ERR_WIRE_SCHEME");
    this._key = Buffer.isBuffer(key) ? key : Buffer.from(key, "utf8");
    this._scheme = scheme;
  }

  /** True when messages are signed at all. */
  get enabled(): boolean {
    return this._key.length > 0;
  }

  /** The hex signature of the four JSON frames. */
  sign(frames: readonly Buffer[]): string {
    if (!this.enabled) return "";
    const h = createHmac("sha256", this._key);
    for (const f of frames) h.update(f);
    return h.digest("hex");
  }

  /** Whether `signature` is right for `frames`, compared in constant time. */
  verify(signature: Buffer, frames: readonly Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(frames), "ascii");
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }

  toString(): string {
    return `<Signer ${this._scheme}${this.enabled ? "" : " (unsigned)"}>`;
  }
}

/**
 * The signatures of the last `limit` messages received (as ipykernel's Session keeps its
 * digest_history, 2^16 by default): the exact frames of a signed message sent again carry the same
 * signature, and must not run again (the messaging spec's security note).
 */
export class SignatureHistory {
  private readonly _seen = new Set<string>();
  /** The same signatures, oldest first, as a ring: which one to forget when full. */
  private readonly _order: string[] = [];
  private _oldest = 0;

  constructor(readonly limit = 2 ** 16) {}

  /** Records `signature`; false when it was already seen (a replay). */
  add(signature: string): boolean {
    if (this._seen.has(signature)) return false;
    if (this._order.length < this.limit) {
      this._order.push(signature);
    } else {
      this._seen.delete(this._order[this._oldest] as string);
      this._order[this._oldest] = signature;
      this._oldest = (this._oldest + 1) % this.limit;
    }
    this._seen.add(signature);
    return true;
  }

  get size(): number {
    return this._seen.size;
  }
}

/** The frames of `msg`, signed, after the routing `identities`. */
export function serialize(msg: Message<unknown>, signer: Signer, identities: readonly Buffer[] = []): Buffer[] {
  const json = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => Buffer.from(JSON.stringify(part), "utf8"));
  return [...identities, DELIMITER, Buffer.from(signer.sign(json), "ascii"), ...json, ...msg.buffers];
}

/**
 * Parses and checks incoming frames; with a `history`, a signature seen before is refused.
 * @throws WireError with code ERR_WIRE_FRAMES (no delimiter, too few frames), ERR_WIRE_SIGNATURE
 *   (missing or wrong signature), ERR_WIRE_REPLAY (a signature in `history`) or ERR_WIRE_JSON (a
 *   frame that is not a JSON object).
 */
export function deserialize(frames: readonly Buffer[], signer: Signer, history?: SignatureHistory): Incoming {
  const i = frames.findIndex((f) => f.equals(DELIMITER));
  if (i < 0) throw new WireError("no <IDS|MSG> delimiter in the message", "ERR_WIRE_FRAMES");
  if (frames.length < i + 6) throw new WireError(`a message needs 5 frames after the delimiter, got ${frames.length - i - 1}`, "ERR_WIRE_FRAMES");
  const signature = frames[i + 1] as Buffer;
  const json = frames.slice(i + 2, i + 6);
  if (signer.enabled && signature.length === 0) throw new WireError("message has no signature", "ERR_WIRE_SIGNATURE");
  if (!signer.verify(signature, json)) throw new WireError("message signature is invalid", "ERR_WIRE_SIGNATURE");
  // Only verified signatures are recorded, so forged messages cannot crowd real ones out; without a
  // key there are no signatures to tell messages apart (ipykernel checks only when signing, too).
  if (history !== undefined && signer.enabled && !history.add(signature.toString("latin1"))) {
    throw new WireError(`Duplicate Signature: ${signature.toString("latin1").slice(0, 100)}`, "ERR_WIRE_REPLAY");
  }
  const [header, parent, metadata, content] = json.map((f, k) => {
    let v: unknown;
    try {
      v = JSON.parse(f.toString("utf8"));
    } catch (e) {
      throw new WireError(`frame ${["header", "parent_header", "metadata", "content"][k]} is not JSON: ${(e as Error).message}`, "ERR_WIRE_JSON");
    }
    if (v === null || typeof v !== "object" || Array.isArray(v))
      throw new WireError(`frame ${["header", "parent_header", "metadata", "content"][k]} is not a JSON object`, "ERR_WIRE_JSON");
    return v as Record<string, unknown>;
  });
  if (typeof (header as { msg_type?: unknown }).msg_type !== "string") throw new WireError("header has no msg_type", "ERR_WIRE_JSON");
  return {
    identities: frames.slice(0, i) as Buffer[],
    header: header as unknown as Incoming["header"],
    parent_header: parent as Incoming["parent_header"],
    metadata: metadata as Record<string, unknown>,
    content: content as Record<string, unknown>,
    buffers: frames.slice(i + 6) as Buffer[],
    signature: signature.toString("latin1"),
  };
}
