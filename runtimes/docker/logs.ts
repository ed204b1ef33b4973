/**
 * Docker's multiplexed output (what `logs` and `exec` answer for a container without a TTY) as lines:
 * frames of an 8-byte header (stream type: 1 stdout, 2 stderr; three zero bytes; payload size as a
 * big-endian uint32) and the payload. A frame may be cut anywhere across chunks, and a line across
 * frames; each stream keeps its own unfinished line, so stdout and stderr never mix within one.
 */
import * as Stream from "effect/Stream"
import { StringDecoder } from "node:string_decoder"

const headerSize = 8

interface Unfinished {
  readonly decoder: StringDecoder
  text: string
}

const demultiplexer = () => {
  let pending: Buffer = Buffer.alloc(0)
  const unfinished = new Map<number, Unfinished>()

  const textOf = (stream: number, payload: Buffer): Array<string> => {
    let entry = unfinished.get(stream)
    if (entry === undefined) {
      entry = { decoder: new StringDecoder("utf8"), text: "" }
      unfinished.set(stream, entry)
    }
    const parts = (entry.text + entry.decoder.write(payload)).split("\n")
    entry.text = parts.pop() ?? ""
    return parts
  }

  return {
    push: (chunk: Buffer): Array<string> => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      const lines: Array<string> = []
      while (pending.length >= headerSize) {
        const size = pending.readUInt32BE(4)
        if (pending.length < headerSize + size) break
        lines.push(...textOf(pending[0] ?? 1, pending.subarray(headerSize, headerSize + size)))
        pending = pending.subarray(headerSize + size)
      }
      return lines
    },
    flush: (): Array<string> =>
      [...unfinished.values()].map((entry) => entry.text + entry.decoder.end()).filter((text) => text.length > 0)
  }
}

/** The lines of a multiplexed stream, a last unterminated line of each stream at its end. */
export const demultiplexedLines = <E>(raw: Stream.Stream<Buffer, E>): Stream.Stream<string, E> =>
  Stream.suspend(() => {
    const demux = demultiplexer()
    return Stream.concat(
      Stream.mapConcat(raw, demux.push),
      Stream.suspend(() => Stream.fromIterable(demux.flush()))
    )
  })
