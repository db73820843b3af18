// The wire format: signing, constant-time checks, refusing forged and malformed messages.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SignatureHistory, Signer, WireError, deserialize, serialize } from "../../src/kernel/wire.js";
import { makeMessage } from "../../src/kernel/messages.js";
import { parseConnectionInfo, endpoint } from "../../src/kernel/connection.js";

const signer = new Signer("a-secret-key");

describe("Wire format", () => {
  it("round-trips a message with identities and buffers", () => {
    const msg = makeMessage("execute_request", { code: "1 + 1" }, null, "session-1");
    msg.buffers.push(Buffer.from([1, 2, 3]));
    const frames = serialize(msg, signer, [Buffer.from("client-id")]);
    const back = deserialize(frames, signer);
    expect(back.identities.map(String)).toEqual(["client-id"]);
    expect(back.header).toEqual(msg.header);
    expect(back.content).toEqual({ code: "1 + 1" });
    expect(back.buffers).toEqual([Buffer.from([1, 2, 3])]);
  });

  it("refuses the exact frames of a message seen before, and forgets the oldest past its limit (issue 11, item 2)", () => {
    const history = new SignatureHistory(3);
    const frames = [0, 1, 2, 3].map((n) => serialize(makeMessage("execute_request", { code: String(n) }, null, "s"), signer));
    expect(deserialize(frames[0]!, signer, history).content).toEqual({ code: "0" });
    expect(() => deserialize(frames[0]!, signer, history)).toThrow(/Duplicate Signature/);
    for (const f of frames.slice(1)) deserialize(f, signer, history);
    expect(history.size).toBe(3);
    // The first was forgotten when the fourth came: bounded memory, as ipykernel's history is.
    expect(deserialize(frames[0]!, signer, history).content).toEqual({ code: "0" });
    expect(() => deserialize(frames[3]!, signer, history)).toThrow(/Duplicate Signature/);
    // A forged message is not recorded; unsigned messages cannot be told apart and are not checked.
    const unsigned = new Signer("");
    const plain = serialize(makeMessage("kernel_info_request", {}, null, "s"), unsigned);
    deserialize(plain, unsigned, history);
    deserialize(plain, unsigned, history);
  });

  it("signs with HMAC-SHA256 of the four JSON frames, as Jupyter does", () => {
    const msg = makeMessage("kernel_info_request", {}, null, "s");
    const frames = serialize(msg, signer);
    const h = createHmac("sha256", "a-secret-key");
    for (const f of frames.slice(2, 6)) h.update(f);
    expect(frames[1]!.toString()).toBe(h.digest("hex"));
  });

  it("refuses a forged signature, a missing one, and a message signed with another key", () => {
    const msg = makeMessage("execute_request", { code: "evil()" }, null, "s");
    const forged = serialize(msg, signer);
    forged[1] = Buffer.from("0".repeat(64));
    expect(() => deserialize(forged, signer)).toThrow(new WireError("message signature is invalid", "ERR_WIRE_SIGNATURE"));
    const unsigned = serialize(msg, new Signer(""));
    expect(() => deserialize(unsigned, signer)).toThrow("message has no signature");
    const other = serialize(msg, new Signer("another key"));
    expect(() => deserialize(other, signer)).toThrow("message signature is invalid");
    const tampered = serialize(msg, signer);
    tampered[5] = Buffer.from(JSON.stringify({ code: "worse()" }));
    expect(() => deserialize(tampered, signer)).toThrow("message signature is invalid");
  });

  it("refuses garbage frames with a clear error", () => {
    expect(() => deserialize([Buffer.from("garbage")], signer)).toThrow("no <IDS|MSG> delimiter");
    expect(() => deserialize([Buffer.from("<IDS|MSG>"), Buffer.from("sig")], signer)).toThrow("a message needs 5 frames after the delimiter, got 1");
    const bad = [Buffer.from("<IDS|MSG>"), Buffer.from(""), Buffer.from("{not json"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
    expect(() => deserialize(bad, new Signer(""))).toThrow(/frame header is not JSON/);
    const notObject = [Buffer.from("<IDS|MSG>"), Buffer.from(""), Buffer.from("[1]"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
    expect(() => deserialize(notObject, new Signer(""))).toThrow("frame header is not a JSON object");
  });

  it("an empty key turns signing off, as Jupyter allows", () => {
    const none = new Signer("");
    const frames = serialize(makeMessage("x", {}, null, "s"), none);
    expect(frames[1]!.length).toBe(0);
    expect(deserialize(frames, none).header.msg_type).toBe("x");
  });
});

describe("Connection files", () => {
  const good = {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port: 1,
    iopub_port: 2,
    stdin_port: 3,
    control_port: 4,
    hb_port: 5,
    key: "k",
    signature_scheme: "hmac-sha256",
    kernel_name: "asyncio-ts",
  };

  it("are read as Jupyter writes them", () => {
    const info = parseConnectionInfo(good);
    expect(info.shell_port).toBe(1);
    expect(endpoint(info, info.hb_port)).toBe("tcp://127.0.0.1:5");
    expect(endpoint({ ...info, transport: "ipc", ip: "/tmp/k" }, 7)).toBe("ipc:///tmp/k-7");
  });

  it("with a bad field are refused, naming the field", () => {
    expect(() => parseConnectionInfo({ ...good, hb_port: "x" })).toThrow('"hb_port" must be a port number, not "x"');
    expect(() => parseConnectionInfo({ ...good, signature_scheme: "hmac-md5" })).toThrow("unsupported signature_scheme");
    expect(() => parseConnectionInfo({ ...good, ip: undefined })).toThrow('"ip" is missing');
  });
});
