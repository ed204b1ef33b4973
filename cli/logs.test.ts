/**
 * `minik8s logs` as a user runs it, against an API server that reaches a kubelet's server over
 * HTTP (the kubelet runs its pods on a MemoryRuntime whose containers the test makes write lines).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as LogsTestbed from "../runtimes/http/logsTestbed.js"
import { outputOf } from "../runtimes/http/kubectlSession.js"

const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

describe("minik8s logs", () => {
  const scope = Effect.runSync(Scope.make())
  let testbed: LogsTestbed.LogsTestbed
  const minik8s = (...args: string[]) =>
    new Promise<Result>((resolve) =>
      execFile(
        process.execPath,
        [bin, ...args, "--server", testbed.server],
        { timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
      )
    )

  beforeAll(async () => {
    testbed = await Effect.runPromise(Scope.extend(LogsTestbed.make, scope))
    await Effect.runPromise(LogsTestbed.seedPods(testbed))
  }, 30_000)
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  it("prints a container's log, its tail, and picks the container as kubectl does", async () => {
    expect(await minik8s("logs", "web")).toEqual({ code: 0, stdout: "hello\nworld\n", stderr: "" })
    expect((await minik8s("logs", "pod/web", "--tail", "1")).stdout).toBe("world\n")
    expect(await minik8s("logs", "duo")).toEqual({
      code: 0,
      stdout: "from a\n",
      stderr: 'Defaulted container "a" out of: a, b\n'
    })
    expect((await minik8s("logs", "duo", "-c", "b")).stdout).toBe("from b\n")
  }, 60_000)

  it("answers a missing pod, a missing previous instance and a non-pod with one line and exit 1", async () => {
    expect(await minik8s("logs", "nope")).toEqual({
      code: 1,
      stdout: "",
      stderr: 'Error from server (NotFound): pods "nope" not found\n'
    })
    expect(await minik8s("logs", "web", "--previous")).toEqual({
      code: 1,
      stdout: "",
      stderr: 'Error from server (BadRequest): previous terminated container "web" in pod "web" not found\n'
    })
    expect(await minik8s("logs", "deployment/web")).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: cannot read the logs of deployment/web: name a pod, as NAME or pod/NAME\n"
    })
  }, 60_000)

  it("follows with -f until stopped", async () => {
    const follower = spawn(process.execPath, [bin, "logs", "-f", "web", "--server", testbed.server])
    const { printed } = outputOf(follower.stdout)
    const exited = new Promise((resolve) => follower.on("exit", resolve))
    try {
      await printed(/world\n$/)
      await Effect.runPromise(
        Effect.flatMap(testbed.running("web", "web"), (id) => testbed.runtime.writeLog(id, "later"))
      )
      await printed(/world\nlater\n$/)
    } finally {
      follower.kill("SIGTERM")
    }
    await exited
    for (let i = 0; i < 200 && testbed.openLogs() > 0; i++) await new Promise((wake) => setTimeout(wake, 20))
    expect(testbed.openLogs()).toBe(0)
  }, 30_000)
})
