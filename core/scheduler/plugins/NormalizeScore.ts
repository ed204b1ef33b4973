/**
 * `helper.DefaultNormalizeScore`: rescales raw scores to 0..maxNodeScore by the highest one
 * (integer division, as Kubernetes), optionally reversed so that the lowest raw score wins.
 */
import * as Plugin from "../framework/Plugin.js"

export const defaultNormalizeScore = (scores: Array<Plugin.ScoredNode>, reverse: boolean): void => {
  let highest = 0
  for (const s of scores) if (s.score > highest) highest = s.score
  if (highest === 0) {
    if (reverse) for (const s of scores) s.score = Plugin.maxNodeScore
    return
  }
  for (const s of scores) {
    const scaled = Math.floor((Plugin.maxNodeScore * s.score) / highest)
    s.score = reverse ? Plugin.maxNodeScore - scaled : scaled
  }
}
