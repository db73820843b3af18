// Jupyter message shapes (messaging protocol 5.3) and the helpers that make headers. Field
// names stay exactly as the spec spells them (`msg_type`, `parent_header`).

import { randomUUID } from "node:crypto";

/** The protocol version this kernel speaks. */
export const PROTOCOL_VERSION = "5.3";

/** A message header. */
export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  subshell_id?: string | null;
}

/** A whole message, as the wire carries it (without the routing identities). */
export interface Message<C = Record<string, unknown>> {
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  /** Extra binary frames after the four JSON ones. */
  buffers: Buffer[];
}

/** A message received on a ROUTER socket, with the identities to reply to. */
export interface Incoming<C = Record<string, unknown>> extends Message<C> {
  identities: Buffer[];
  /** Its signature as received (latin1), what the replay history keeps; "" when unsigned. */
  signature?: string;
}

/** A new header for a message of type `msgType` in `session`. */
export function newHeader(msgType: string, session: string, username = "kernel"): Header {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** A message replying to (or caused by) `parent`. */
export function makeMessage<C>(msgType: string, content: C, parent: Message<unknown> | null, session: string, metadata: Record<string, unknown> = {}): Message<C> {
  return {
    header: newHeader(msgType, session),
    parent_header: parent === null ? {} : parent.header,
    metadata,
    content,
    buffers: [],
  };
}
