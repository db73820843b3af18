// The body of an HTTP message as a StreamReader, with aiohttp's ways of reading it in chunks
// (`iterChunked`, `iterAny`, `readAny`). Who feeds it (the client's response, a server's request)
// is the feeder's business; this module only reads.

import type { CoroutineObject } from "../coroutines.js";
import { StreamReader } from "../streams.js";

/**
 * A message body: a library `StreamReader` (`read()`, `readline()`, `readExactly()`,
 * `readUntil()`, `atEof()`; `for await` gives its lines) plus aiohttp's chunk readers. Reading
 * is flow-controlled: while more than twice the reader's limit (64 KiB by default) is buffered,
 * the connection stops reading, so a large body never piles up in memory.
 * @example
 * ```ts
 * const response = await aiohttp.request("GET", url);
 * for await (const chunk of response.content.iterChunked(65536)) file.write(chunk);
 * ```
 */
export class BodyReader extends StreamReader {
  /** The next data available (up to all that is buffered); an empty buffer at the end. */
  readAny(): CoroutineObject<Buffer> {
    return this.read(Number.MAX_SAFE_INTEGER);
  }

  /**
   * `for await (const chunk of content.iterChunked(n))`: chunks of at most `n` bytes until the
   * end of the body.
   */
  async *iterChunked(n: number): AsyncGenerator<Buffer, void, undefined> {
    if (!(n > 0)) throw new RangeError("iterChunked() needs a chunk size > 0");
    for (;;) {
      const chunk = await this.read(n);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** `for await (const chunk of content.iterAny())`: the data as it arrives, until the end. */
  async *iterAny(): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.readAny();
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  override toString(): string {
    return super.toString().replace(/^<StreamReader/, "<BodyReader");
  }
}
