/**
 * Test support for the kubectl end-to-end tests: whether kubectl is there (its absence fails the run
 * under MINIK8S_E2E=1, else the tests are skipped with a printed reason), and a session that serves
 * the API server on 127.0.0.1:0 with a kubeconfig and a private kubectl cache.
 */
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { execFile, execFileSync, spawn } from "node:child_process"
import type { ChildProcessWithoutNullStreams } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import * as ApiServer from "../../core/apiserver/ApiServer.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import { kubeconfig } from "./kubeconfig.js"
import * as Server from "./server.js"

const run = promisify(execFile)

/** Whether kubectl is on PATH; under MINIK8S_E2E=1 its absence throws instead. */
export const kubectlPresent = (what: string): boolean => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" })
    return true
  } catch {
    if (process.env["MINIK8S_E2E"] === "1") throw new Error("MINIK8S_E2E=1 but kubectl is not on PATH")
    console.warn(`${what} skipped: kubectl is not on PATH`)
    return false
  }
}

export interface KubectlSession {
  /** Runs kubectl against the server; resolves with its stdout, rejects (with `stderr`) on a non-zero exit. */
  readonly kubectl: (...args: string[]) => Promise<string>
  /** Starts a long-running kubectl (such as `get -w`) against the server. */
  readonly spawnKubectl: (...args: string[]) => ChildProcessWithoutNullStreams
  /** Writes a file in the session's folder and answers its path. */
  readonly write: (name: string, text: string) => string
  /** Stops the server and removes the folder. */
  readonly close: () => Promise<void>
}

export const startSession = async (): Promise<KubectlSession> => {
  const runtime = ManagedRuntime.make(
    Server.layer({ port: 0, host: "127.0.0.1" }).pipe(
      Layer.provide(ApiServer.layer({})),
      Layer.provide(MemoryStore.layer)
    )
  )
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-kubectl-"))
  const config = Path.join(dir, "kubeconfig")
  Fs.writeFileSync(config, kubeconfig({ server: await runtime.runPromise(Server.serverUrl) }))
  const flags = ["--kubeconfig", config, "--cache-dir", Path.join(dir, "cache")]
  return {
    kubectl: async (...args) => (await run("kubectl", [...flags, ...args], { timeout: 30_000 })).stdout,
    spawnKubectl: (...args) => spawn("kubectl", [...flags, ...args]),
    write: (name, text) => {
      const file = Path.join(dir, name)
      Fs.writeFileSync(file, text)
      return file
    },
    close: async () => {
      await runtime.dispose()
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Waits on what a long-running command prints: `printed(pattern)` resolves once everything it has
 * printed so far matches (the test's own timeout bounds the wait).
 */
export const outputOf = (stream: NodeJS.ReadableStream): { readonly printed: (pattern: RegExp) => Promise<void> } => {
  let seen = ""
  const waiters: Array<() => void> = []
  stream.on("data", (chunk: Buffer) => {
    seen += chunk.toString()
    waiters.splice(0).forEach((wake) => wake())
  })
  return {
    printed: async (pattern) => {
      while (!pattern.test(seen)) await new Promise<void>((wake) => waiters.push(wake))
    }
  }
}
