/**
 * The kubelet's HTTP server over a MemoryRuntime, read with fetch on 127.0.0.1: health, container
 * logs (tail, legacy tail, limitBytes, previous, follow), and the kubelet's refusals.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { ContainerRuntime, type PodRef } from "../../core/runtime/ContainerRuntime.js"
import * as MemoryRuntime from "../../core/runtime/MemoryRuntime.js"
import * as KubeletServer from "./kubeletServer.js"
import { counted } from "./logsTestbed.js"

const web: PodRef = { uid: "uid-web", namespace: "default", name: "web" }

/** A kubelet server over a fresh runtime that has pod `web` with container `app` running. */
const setup = Effect.gen(function* () {
  const { runtime, openLogs } = counted(yield* MemoryRuntime.make())
  const port = yield* Effect.provideService(KubeletServer.serve({ port: 0 }), ContainerRuntime, runtime)
  const sandbox = yield* runtime.runSandbox({ pod: web, attempt: 0, hostname: "web", labels: {}, annotations: {} })
  yield* runtime.pullImage("nginx:1.27")
  const start = (attempt: number) =>
    Effect.tap(
      runtime.createContainer({
        pod: web,
        sandboxId: sandbox.id,
        name: "app",
        image: "nginx:1.27",
        command: [],
        args: [],
        env: {},
        requests: {},
        limits: {},
        attempt,
        podAnnotations: {},
        init: false
      }),
      (id) => runtime.startContainer(id)
    )
  const first = yield* start(0)
  for (const line of ["a", "b", "c"]) yield* runtime.writeLog(first, line)
  return { runtime, openLogs, base: `http://127.0.0.1:${port}`, first, start }
})

const get = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

const logUrl = (base: string, pod: string, container: string, query = "") =>
  `${base}/containerLogs/default/${pod}/${container}${query === "" ? "" : `?${query}`}`

/** Reads a streamed body until `done` holds for what has arrived (true), or to its end (false). */
const readUntil = (reader: ReadableStreamDefaultReader<Uint8Array>, seen: { text: string }, done?: RegExp) =>
  Effect.promise(async () => {
    const decoder = new TextDecoder()
    while (done === undefined || !done.test(seen.text)) {
      const { value, done: ended } = await reader.read()
      if (ended) return false
      seen.text += decoder.decode(value, { stream: true })
    }
    return true
  })

const eventually = <A>(check: Effect.Effect<A, string>) =>
  Effect.retry(check, Schedule.intersect(Schedule.spaced("10 millis"), Schedule.recurs(300)))

describe("kubelet server", () => {
  it.scopedLive("answers /healthz, 404 elsewhere and 405 to writes", () =>
    Effect.gen(function* () {
      const { base } = yield* setup
      expect(yield* get(`${base}/healthz`)).toMatchObject({ status: 200, text: "ok" })
      expect((yield* get(`${base}/pods`)).status).toBe(404)
      expect((yield* get(`${base}/containerLogs/default/web`)).status).toBe(404)
      expect((yield* get(logUrl(base, "web", "app"), { method: "POST" })).status).toBe(405)
    })
  )

  it.scopedLive("serves a container's log as chunked text/plain, all of it or its tail or its first bytes", () =>
    Effect.gen(function* () {
      const { base } = yield* setup
      const all = yield* get(logUrl(base, "web", "app"))
      expect(all).toMatchObject({ status: 200, text: "a\nb\nc\n" })
      expect(all.headers.get("content-type")).toBe("text/plain")
      expect(all.headers.get("transfer-encoding")).toBe("chunked")
      expect((yield* get(logUrl(base, "web", "app", "tailLines=2"))).text).toBe("b\nc\n")
      expect((yield* get(logUrl(base, "web", "app", "tail=1"))).text).toBe("c\n")
      expect((yield* get(logUrl(base, "web", "app", "tail=all&tailLines=1"))).text).toBe("a\nb\nc\n")
      expect((yield* get(logUrl(base, "web", "app", "limitBytes=3"))).text).toBe("a\nb")
    })
  )

  it.scopedLive("serves the latest instance, or with previous the one before it", () =>
    Effect.gen(function* () {
      const { base, runtime, first, start } = yield* setup
      const none = yield* get(logUrl(base, "web", "app", "previous=true"))
      expect(none).toEqual({
        status: 400,
        headers: none.headers,
        text: 'previous terminated container "app" in pod "web" not found'
      })
      yield* runtime.exit(first, 1)
      const second = yield* start(1)
      yield* runtime.writeLog(second, "second life")
      expect((yield* get(logUrl(base, "web", "app"))).text).toBe("second life\n")
      expect((yield* get(logUrl(base, "web", "app", "previous=true"))).text).toBe("a\nb\nc\n")
    })
  )

  it.scopedLive("refuses what it cannot serve, in the kubelet's words", () =>
    Effect.gen(function* () {
      const { base } = yield* setup
      expect(yield* get(logUrl(base, "web", "sidecar"))).toMatchObject({
        status: 400,
        text: 'container "sidecar" in pod "web" is waiting to start: ContainerCreating'
      })
      expect(yield* get(logUrl(base, "nope", "app"))).toMatchObject({ status: 404, text: 'pod "nope" does not exist' })
      expect(yield* get(logUrl(base, "web", "app", "tailLines=x"))).toMatchObject({
        status: 400,
        text: '{"message": "Unable to decode query."}'
      })
      expect((yield* get(logUrl(base, "web", "app", "tailLines=-1"))).status).toBe(422)
      expect((yield* get(logUrl(base, "web", "app", "timestamps=true"))).status).toBe(400)
    })
  )

  it.scopedLive("follows: new lines arrive as written, the log ends with the container or with its reader", () =>
    Effect.gen(function* () {
      const { base, runtime, first, openLogs } = yield* setup
      const reader = new AbortController()
      const followed = yield* Effect.promise(() =>
        fetch(logUrl(base, "web", "app", "follow=true"), { signal: reader.signal })
      )
      const body = followed.body!.getReader()
      const seen = { text: "" }
      expect(yield* readUntil(body, seen, /c\n$/)).toBe(true)
      yield* runtime.writeLog(first, "d")
      expect(yield* readUntil(body, seen, /d\n$/)).toBe(true)
      expect(openLogs()).toBe(1)
      reader.abort()
      yield* eventually(Effect.suspend(() => (openLogs() === 0 ? Effect.void : Effect.fail("still open"))))

      const untilExit = yield* Effect.promise(() => fetch(logUrl(base, "web", "app", "follow=true&tailLines=1")))
      const rest = untilExit.body!.getReader()
      const tail = { text: "" }
      expect(yield* readUntil(rest, tail, /d\n$/)).toBe(true)
      yield* runtime.writeLog(first, "last words")
      yield* runtime.exit(first, 0)
      expect(yield* readUntil(rest, tail)).toBe(false)
      expect(tail.text).toBe("d\nlast words\n")
    })
  )
})
