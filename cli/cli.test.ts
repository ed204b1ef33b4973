/**
 * The `minik8s` command as a user runs it: `apiserver` in its own process, then `apply`, `get`,
 * `scale`, `delete` against it, and bad input answered with one line and a non-zero exit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { execFile, spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-cli-"))
const config = Path.join(dir, "kubeconfig")

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const minik8s = (...args: string[]) =>
  new Promise<Result>((resolve) =>
    execFile(
      process.execPath,
      [bin, ...args],
      { timeout: 30_000, env: { ...process.env, KUBECONFIG: config } },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  )

const write = (name: string, text: string) => {
  const file = Path.join(dir, name)
  Fs.writeFileSync(file, text)
  return file
}

const deployment = (replicas: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`

describe("minik8s CLI", () => {
  let server: ChildProcess
  let banner = ""

  beforeAll(async () => {
    server = spawn(process.execPath, [bin, "apiserver", "--port", "0", "--kubeconfig", config, "--token-auth"])
    banner = await new Promise<string>((resolve, reject) => {
      let out = ""
      server.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes("\n")) resolve(out.trim())
      })
      server.on("exit", (code) => reject(new Error(`apiserver exited with ${code}`)))
    })
  })
  afterAll(async () => {
    const exited = new Promise((resolve) => server.on("exit", resolve))
    server.kill("SIGTERM")
    await exited
    Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("apiserver prints one line with the URL, the kubeconfig and the token", () => {
    expect(banner).toMatch(
      /^minik8s apiserver serving on http:\/\/127\.0\.0\.1:\d+ \(store memory\), kubeconfig .+, token: \S+$/
    )
    expect(Fs.readFileSync(config, "utf8")).toContain(banner.split("token: ")[1]!)
  })

  it("applies a manifest, gets it, scales it and deletes it", async () => {
    const file = write("web.yaml", deployment("2"))
    expect(await minik8s("apply", "-f", file)).toEqual({ code: 0, stdout: "deployment.apps/web created\n", stderr: "" })
    expect((await minik8s("apply", "-f", file)).stdout).toBe("deployment.apps/web unchanged\n")
    const table = await minik8s("get", "deployments")
    expect(table.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/2\s+0\s+0\s+\d+s\n$/)
    expect((await minik8s("scale", "deployment/web", "--replicas", "4")).stdout).toBe("deployment.apps/web scaled\n")
    const json = JSON.parse((await minik8s("get", "deploy", "web", "-o", "json")).stdout)
    expect(json.spec.replicas).toBe(4)
    expect((await minik8s("get", "deployments", "-o", "name")).stdout).toBe("deployment.apps/web\n")
    expect((await minik8s("delete", "deployment", "web")).stdout).toBe('deployment.apps "web" deleted\n')
    const gone = await minik8s("get", "deployment", "web")
    expect(gone.code).toBe(1)
    expect(gone.stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n')
  })

  it("names the file, line and field of an invalid manifest, and writes nothing", async () => {
    const invalid = await minik8s("apply", "-f", write("invalid.yaml", deployment("-1")))
    expect(invalid.code).toBe(1)
    expect(invalid.stderr.trim().split("\n")).toHaveLength(1)
    expect(invalid.stderr).toMatch(/invalid\.yaml:6: .*spec\.replicas: Invalid value: -1/)
    const unknown = await minik8s(
      "apply",
      "-f",
      write("unknown.yaml", deployment("1").replace("  replicas: 1", "  replicas: 1\n  replicaz: 1"))
    )
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/unknown\.yaml:7: .*unknown field "spec\.replicaz"/)
    const syntax = await minik8s("apply", "-f", write("syntax.yaml", "kind: Deployment\nmetadata: [\n"))
    expect(syntax.code).toBe(1)
    expect(syntax.stderr).toMatch(/^error: \S*syntax\.yaml:\d+: invalid YAML: [^\n]+\n$/)
    expect((await minik8s("get", "deployments", "-o", "name")).stdout).toBe("")
  })

  it("names the object whose last-applied annotation is not JSON", async () => {
    const file = write("broken.yaml", deployment("1").replace("name: web", "name: broken"))
    expect((await minik8s("apply", "-f", file)).code).toBe(0)
    const [, url, token] = /serving on (\S+) \(store memory\), .*token: (\S+)$/.exec(banner)!
    const response = await fetch(`${url}/apis/apps/v1/namespaces/default/deployments/broken`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({
        metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{not json" } }
      })
    })
    expect(response.status).toBe(200)
    const result = await minik8s("apply", "-f", file)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /^error: \S*broken\.yaml:4: deployment\.apps\/broken: the live object's .* annotation is not JSON/
    )
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("answers an unknown kind, a missing file and an unreachable server with one line", async () => {
    const kind = await minik8s("get", "widgets")
    expect(kind).toMatchObject({ code: 1, stderr: 'error: the server doesn\'t have a resource type "widgets"\n' })
    const file = await minik8s("apply", "-f", Path.join(dir, "missing.yaml"))
    expect(file.code).toBe(1)
    expect(file.stderr).toMatch(/^error: cannot read .*missing\.yaml/)
    const down = await minik8s("get", "pods", "--server", "http://127.0.0.1:1")
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/^error: cannot reach the API server/)
  })

  it("apiserver and up refuse an --event-ttl that is not a duration of at least a second, with one line", async () => {
    expect(await minik8s("apiserver", "--port", "0", "--event-ttl", "soon")).toMatchObject({
      code: 1,
      stderr: 'error: --event-ttl: time: invalid duration "soon"\n'
    })
    expect(await minik8s("apiserver", "--port", "0", "--event-ttl", "500ms")).toMatchObject({
      code: 1,
      stderr: "error: --event-ttl: must be at least 1s\n"
    })
    // up checks it before it starts anything.
    expect(await minik8s("up", "--event-ttl", "soon")).toMatchObject({
      code: 1,
      stderr: 'error: --event-ttl: time: invalid duration "soon"\n'
    })
  })

  it("refuses requests without the token", async () => {
    const anonymous = await minik8s("get", "pods", "--server", banner.split(" ")[4]!.replace(/,$/, ""))
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/^Error from server \(Unauthorized\)/)
  })
})
