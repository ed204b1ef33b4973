import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { inflateSync } from "node:zlib"
import { writeReport } from "./Report.js"
import { threeProfiles } from "./RunFixtures.js"
import { summaryJson } from "./Summary.js"

const input = { workload: "fixture", baseline: "least-allocated", results: threeProfiles({ batch: true }) }

const chromium = (process.env["PATH"] ?? "")
  .split(delimiter)
  .map((dir) => join(dir, "chromium"))
  .find((path) => existsSync(path))
if (chromium === undefined)
  console.log("report screenshot test skipped: `chromium` is not on PATH (Debian package chromium)")

/** Width, height and the inflated scanlines of a PNG. */
const readPng = (png: Buffer) => {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  const idat: Array<Buffer> = []
  let width = 0
  let height = 0
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at)
    const type = png.toString("ascii", at + 4, at + 8)
    const data = png.subarray(at + 8, at + 8 + length)
    if (type === "IHDR") ((width = data.readUInt32BE(0)), (height = data.readUInt32BE(4)))
    if (type === "IDAT") idat.push(data)
    at += 12 + length
  }
  return { width, height, pixels: inflateSync(Buffer.concat(idat)) }
}

const withDir = async (use: (dir: string) => Promise<void>) => {
  const dir = await mkdtemp(join(tmpdir(), "bench-report-"))
  try {
    await use(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe("writeReport", () => {
  it("writes the five files", () =>
    withDir(async (dir) => {
      await writeReport(join(dir, "out"), input)
      expect((await readdir(join(dir, "out"))).sort()).toEqual([
        "report.html",
        "summary.json",
        "table.csv",
        "table.md",
        "timing.json"
      ])
      expect(await readFile(join(dir, "out", "summary.json"), "utf8")).toBe(summaryJson(input))
    }))

  it.skipIf(chromium === undefined)("renders in headless Chromium with the plots visible", () =>
    withDir(async (dir) => {
      await writeReport(dir, input)
      const png = join(dir, "report.png")
      await promisify(execFile)(
        chromium!,
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          `--screenshot=${png}`,
          "--window-size=1200,3000",
          pathToFileURL(join(dir, "report.html")).href
        ],
        { timeout: 30_000 }
      )
      expect((await stat(png)).size).toBeGreaterThan(50_000)
      const { width, height, pixels } = readPng(await readFile(png))
      expect([width, height]).toEqual([1200, 3000])
      // A blank or one-colour page compresses to a handful of byte values; plots and text give many.
      expect(new Set(pixels).size).toBeGreaterThan(100)
    })
  )
})
