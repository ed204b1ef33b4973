/**
 * Worker threads for runs that are pure functions of their input (benchmark jobs, fuzz runs): `make`
 * starts threads that each load a TypeScript module (through bin/typescript.js, whose hooks are per thread) which
 * calls `serve`; each thread answers one request at a time, in the order `run` was called.
 */
import { availableParallelism } from "node:os"
import { parentPort, Worker, workerData } from "node:worker_threads"

type Reply<Res> = { readonly progress: number } | { readonly result: Res } | { readonly error: string }

export interface Pool<Req, Res> {
  /** Runs `request` on the next free thread; `onProgress` hears its share done (0–1) as it moves. */
  readonly run: (request: Req, onProgress?: (share: number) => void) => Promise<Res>
  /** Stops every thread; requests still waiting are rejected. */
  readonly close: () => Promise<void>
}

interface Job<Req, Res> {
  readonly request: Req
  readonly onProgress: ((share: number) => void) | undefined
  readonly resolve: (result: Res) => void
  readonly reject: (error: Error) => void
}

/** The threads a pool has unless told otherwise: the cores. */
export const defaultSize = (): number => availableParallelism()

/** `size` threads running `module`, each given `init` (structured-cloned) once, at start. */
export const make = <Req, Res>(module: URL, size: number, init?: unknown): Pool<Req, Res> => {
  const queue: Array<Job<Req, Res>> = []
  const idle: Array<Worker> = []
  const current = new Map<Worker, Job<Req, Res>>()
  let closing = false
  const give = (thread: Worker) => {
    const job = queue.shift()
    if (job === undefined) return void idle.push(thread)
    current.set(thread, job)
    thread.postMessage(job.request)
  }
  const threads = Array.from({ length: size }, () => {
    const thread = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { module: module.href, init } })
    const fail = (error: Error) => {
      current.get(thread)?.reject(error)
      current.delete(thread)
      for (const job of queue.splice(0)) job.reject(error)
    }
    thread.on("message", (reply: Reply<Res>) => {
      const job = current.get(thread)
      if (job === undefined) return
      if ("progress" in reply) return job.onProgress?.(reply.progress)
      current.delete(thread)
      if ("error" in reply) job.reject(new Error(reply.error))
      else job.resolve(reply.result)
      give(thread)
    })
    thread.on("error", fail)
    thread.on("exit", (code) => {
      if (!closing) fail(new Error(`a worker thread stopped with code ${code}`))
    })
    idle.push(thread)
    return thread
  })
  return {
    run: (request, onProgress) =>
      new Promise<Res>((resolve, reject) => {
        if (closing) return reject(new Error("the worker pool is closed"))
        queue.push({ request, onProgress, resolve, reject })
        const thread = idle.shift()
        if (thread !== undefined) give(thread)
      }),
    close: async () => {
      closing = true
      for (const job of queue.splice(0)) job.reject(new Error("the worker pool is closed"))
      await Promise.all(threads.map((thread) => thread.terminate()))
    }
  }
}

/**
 * In a pool's module: answers each request with `handler(init)`'s result; progress is posted when
 * its whole percent changes.
 */
export const serve = <Req, Res>(
  handler: (init: unknown) => (request: Req, progress: (share: number) => void) => Promise<Res>
): void => {
  const port = parentPort
  if (port === null) throw new Error("serve runs in a worker thread of a WorkerPool")
  const handle = handler((workerData as { readonly init: unknown }).init)
  port.on("message", (request: Req) => {
    let last = -1
    const progress = (share: number) => {
      const percent = Math.floor(100 * share)
      if (percent !== last) port.postMessage({ progress: (last = percent) / 100 } satisfies Reply<Res>)
    }
    handle(request, progress).then(
      (result) => port.postMessage({ result } satisfies Reply<Res>),
      (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) })
    )
  })
}
