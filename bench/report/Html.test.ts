import { describe, expect, it } from "@effect/vitest"
import { html } from "./Html.js"
import { runResult, threeProfiles } from "./RunFixtures.js"

describe("report.html", () => {
  it("has one inline SVG per plot and no script, link or remote resource", async () => {
    const page = await html({ workload: "fixture", baseline: "least-allocated", results: threeProfiles() })
    // Allocation, wait CDF and fragmentation, and a heat map for each of the three profiles.
    expect(page.match(/<svg/g)).toHaveLength(6)
    // Printing the matches, not the page, when this fails; url(#…) points into the same SVG.
    expect(page.match(/<script|<link|<iframe|<img|@import|url\((?!#)/gi)).toBeNull()
    expect(page.match(/(src|href)="[^"]*"/g)).toBeNull()
    for (const title of [
      "CPU allocation over time",
      "Wait for bound",
      "Fragmentation over time",
      "Per-node CPU utilisation"
    ])
      expect(page).toContain(title)
    expect(page).toContain("<th>metric</th><th>unit</th>")
    expect(page).toContain("least-allocated (baseline)")
  })

  it("escapes names and draws one heat map for a single run", async () => {
    const run = runResult("random", 1)
    const page = await html({ workload: "<w&>", baseline: "random", results: [run] })
    expect(page).toContain("<title>bench &#60;w&#38;&#62;</title>")
    expect(page.match(/<svg/g)).toHaveLength(4)
  })
})
