import { describe, expect, it } from "@effect/vitest"
import * as Backoff from "./Backoff.js"

const s = 1000

describe("Backoff", () => {
  it("a first failure is not waited for; later ones wait 10 s, 20 s, 40 s … up to the cap", () => {
    const backoff = Backoff.make(10 * s, 300 * s)
    let now = 0
    const waits: Array<number> = []
    for (let i = 0; i < 8; i++) {
      // The container exits right now; the kubelet restarts it once no window is left.
      const wait = backoff.remainingSince("c", now, now)
      waits.push(wait / s)
      now += wait
      backoff.next("c", now, now)
    }
    expect(waits).toEqual([0, 10, 20, 40, 80, 160, 300, 300])
  })

  it("starts over after running fine for twice the cap", () => {
    const backoff = Backoff.make(10 * s, 300 * s)
    backoff.next("c", 0, 0)
    backoff.next("c", 10 * s, 10 * s)
    expect(backoff.window("c")).toBe(20 * s)
    const finished = 10 * s + 600 * s + 1
    expect(backoff.remainingSince("c", finished, finished)).toBe(0)
    backoff.next("c", finished, finished)
    expect(backoff.window("c")).toBe(10 * s)
  })

  it("counts from the last update for pulls; gc forgets stale keys", () => {
    const backoff = Backoff.make(10 * s, 300 * s)
    backoff.next("img", 5 * s, 5 * s)
    expect(backoff.remainingSinceUpdate("img", 8 * s)).toBe(7 * s)
    expect(backoff.remainingSinceUpdate("img", 15 * s)).toBe(0)
    backoff.gc(5 * s + 600 * s + 1)
    expect(backoff.window("img")).toBe(0)
  })
})
