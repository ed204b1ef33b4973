/**
 * `kubectl logs`, unmodified, against the API server, which reaches a kubelet's server over HTTP;
 * the kubelet runs its pods on a MemoryRuntime whose containers the test makes write lines.
 * Skipped with a printed reason when kubectl is absent, except under MINIK8S_E2E=1.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Pods } from "../../core/api/Pod.js"
import { kubeconfig } from "./kubeconfig.js"
import { kubectlPresent, outputOf } from "./kubectlSession.js"
import * as LogsTestbed from "./logsTestbed.js"

const present = kubectlPresent("kubectl logs tests")
const run = promisify(execFile)

describe.skipIf(!present)("kubectl logs against minik8s", () => {
  const scope = Effect.runSync(Scope.make())
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-kubectl-logs-"))
  const flags = ["--kubeconfig", Path.join(dir, "kubeconfig"), "--cache-dir", Path.join(dir, "cache")]
  let testbed: LogsTestbed.LogsTestbed
  const kubectl = async (...args: string[]) => (await run("kubectl", [...flags, ...args], { timeout: 30_000 })).stdout
  const kubectlError = (...args: string[]) =>
    kubectl(...args).then(
      (stdout) => `unexpected success: ${stdout}`,
      (e: { stderr: string }) => e.stderr
    )
  const effect = <A>(e: Effect.Effect<A, unknown>) => Effect.runPromise(e)

  beforeAll(async () => {
    testbed = await Effect.runPromise(Scope.extend(LogsTestbed.make, scope))
    Fs.writeFileSync(flags[1]!, kubeconfig({ server: testbed.server }))
    await effect(
      Effect.gen(function* () {
        yield* LogsTestbed.seedPods(testbed)
        yield* testbed.client.create(Pods, LogsTestbed.pod("lonely", ["web"], null))
      })
    )
  }, 30_000)
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("prints a container's log, its tail, and the container -c names", async () => {
    expect(await kubectl("logs", "web")).toBe("hello\nworld\n")
    expect(await kubectl("logs", "pod/web", "--tail=1")).toBe("world\n")
    expect(await kubectl("logs", "duo", "-c", "b")).toBe("from b\n")
    const defaulted = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile("kubectl", [...flags, "logs", "duo"], { timeout: 30_000 }, (error, stdout, stderr) =>
        error === null ? resolve({ stdout, stderr }) : reject(error)
      )
    )
    expect(defaulted).toEqual({ stdout: "from a\n", stderr: 'Defaulted container "a" out of: a, b\n' })
  })

  it("shows the errors: no such pod, no such container, no previous instance; a pod on no node has no log", async () => {
    expect(await kubectlError("logs", "nope")).toBe(
      'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'
    )
    // kubectl checks the container name against the pod itself, in the API server's words.
    expect(await kubectlError("logs", "web", "-c", "zz")).toBe("error: container zz is not valid for pod web\n")
    expect(await kubectlError("logs", "web", "--previous")).toBe(
      'Error from server (BadRequest): previous terminated container "web" in pod "web" not found\n'
    )
    expect(await kubectl("logs", "lonely")).toBe("")
  })

  it("follows: lines written later arrive, and stopping kubectl ends the runtime's log stream", async () => {
    const follower = spawn("kubectl", [...flags, "logs", "-f", "web"])
    const { printed } = outputOf(follower.stdout)
    try {
      await printed(/world\n$/)
      await effect(Effect.flatMap(testbed.running("web", "web"), (id) => testbed.runtime.writeLog(id, "more")))
      await printed(/world\nmore\n$/)
      expect(testbed.openLogs()).toBe(1)
    } finally {
      follower.kill()
    }
    for (let i = 0; i < 200 && testbed.openLogs() > 0; i++) await new Promise((wake) => setTimeout(wake, 20))
    expect(testbed.openLogs()).toBe(0)
  }, 20_000)

  it("after a restart, prints the new instance's log, and the old one's with --previous", async () => {
    await effect(
      Effect.gen(function* () {
        yield* testbed.runtime.crash(yield* testbed.running("web", "web"))
        yield* testbed.runtime.writeLog(yield* testbed.running("web", "web", 1), "second life")
      })
    )
    expect(await kubectl("logs", "web")).toBe("second life\n")
    expect(await kubectl("logs", "web", "-p")).toBe("hello\nworld\nmore\n")
  }, 20_000)
})
