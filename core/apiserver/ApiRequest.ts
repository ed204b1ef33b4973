/**
 * The API server's request and response, independent of HTTP. The HTTP adapter
 * (`runtimes/http`) turns an HTTP exchange into these; the in-process transport builds them
 * directly (with an already-parsed body), so both transports reach the very same handler.
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS"

/** A body as bytes off the wire (parsed by the handler by content type), or an already-parsed value. */
export type RequestBody =
  { readonly _tag: "Raw"; readonly bytes: Uint8Array } | { readonly _tag: "Parsed"; readonly value: unknown }

export interface ApiRequest {
  readonly method: Method
  /** The path without the query string, e.g. `/api/v1/namespaces/default/pods`. */
  readonly path: string
  readonly query: URLSearchParams
  /** Header names in lower case (`content-type`, `accept`, `authorization`). */
  readonly headers: Readonly<Record<string, string>>
  readonly body?: RequestBody
}

/** One line of a watch stream, as Kubernetes sends it. */
export interface WatchLine {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"
  readonly object: unknown
}

export type ApiResponse =
  /** A JSON body (an object, a list, a Table or a Status). */
  | {
      readonly _tag: "Json"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: unknown
    }
  /** Plain text (`/healthz`, logs). */
  | {
      readonly _tag: "Text"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: string
    }
  /**
   * Text written as it comes (`pods/log`): the body ends when the stream does, and a reader that
   * goes away ends the stream.
   */
  | {
      readonly _tag: "TextStream"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: Stream.Stream<string>
    }
  /** A watch: a stream of lines that ends when the watch ends (timeout, too old, server stop). */
  | {
      readonly _tag: "Watch"
      readonly status: 200
      readonly headers: Readonly<Record<string, string>>
      readonly events: Stream.Stream<WatchLine>
      /**
       * Ends `events` at once, even while it waits for a change: the lines not yet read are dropped
       * and `last`, when given, is the final line. The server's own watches have it (an in-process
       * carrier uses it to drop a connection); a watch read over HTTP ends with its connection.
       */
      readonly stop?: (last?: WatchLine) => Effect.Effect<void>
    }
