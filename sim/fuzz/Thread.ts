/** A fuzz thread (Fuzz.ts's pool): plays each drawn run it is sent and answers its verdict. */
import { serve } from "../../runtimes/WorkerPool.js"
import { type Draw, player, type ThreadInit, type Verdict } from "./Fuzz.js"

serve<Draw, Verdict>((init) => {
  const { scenario, options } = init as ThreadInit
  const play = player(scenario, { ...options, bugs: new Set(options.bugs) })
  return (draw) => play(draw, false)
})
