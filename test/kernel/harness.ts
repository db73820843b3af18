// A front end for kernel tests: sends requests into an in-memory transport and reads what the
// kernel sent, by parent request.
import { makeMessage, type Message } from "../../src/kernel/messages.js";
import type { Channel, InMemoryTransport } from "../../src/kernel/transport.js";
import { deserialize, serialize, type Signer } from "../../src/kernel/wire.js";

/** One message the kernel sent: its channel, type and content. */
export type Out = { channel: Channel; type: string; content: Record<string, unknown> };

/** A client of the kernel behind `transport` (started), signing with `signer`. */
export function connect(transport: InMemoryTransport, signer: Signer) {
  const received: { channel: Channel; msg: Message }[] = [];
  transport.onSend((channel, frames) => received.push({ channel, msg: deserialize(frames, signer) }));
  const client = {
    received,
    send(channel: Channel, type: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}): Message {
      const msg = makeMessage(type, content, null, "client-session", metadata);
      transport.receive(channel, serialize(msg, signer, [Buffer.from("client")]));
      return msg as Message;
    },
    /** Messages (type and content) with `parent` as their parent, in order. */
    of(parent: Message): Out[] {
      return received
        .filter((r) => (r.msg.parent_header as { msg_id?: string }).msg_id === parent.header.msg_id)
        .map((r) => ({ channel: r.channel, type: r.msg.header.msg_type, content: r.msg.content }));
    },
    async until(parent: Message, pred: (types: string[]) => boolean, timeoutMs = 5000): Promise<Out[]> {
      for (const start = Date.now(); Date.now() - start < timeoutMs;) {
        if (pred(client.of(parent).map((m) => m.type))) return client.of(parent);
        await new Promise((r) => setTimeout(r, 2));
      }
      throw new Error(`timed out: ${JSON.stringify(client.of(parent).map((m) => m.type))}`);
    },
    /** Until the request's idle status has come. */
    done(parent: Message): Promise<Out[]> {
      return client.until(parent, () => client.of(parent).some((m) => m.type === "status" && m.content["execution_state"] === "idle"));
    },
    async request(type: string, content: Record<string, unknown>, channel: Channel = "shell"): Promise<Out[]> {
      return client.done(client.send(channel, type, content));
    },
    /** Runs `code`; `metadata` is the request's (JupyterLab sends `{ cellId }`). */
    async execute(code: string, extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
      const msg = client.send(
        "shell",
        "execute_request",
        { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra },
        metadata,
      );
      const out = await client.done(msg);
      const of = (type: string) => out.find((m) => m.type === type)?.content;
      return {
        msg,
        out,
        reply: of("execute_reply")!,
        /** The execute_result's text/plain, if any. */
        result: (of("execute_result")?.["data"] as Record<string, string> | undefined)?.["text/plain"],
        error: of("error"),
      };
    },
  };
  return client;
}
