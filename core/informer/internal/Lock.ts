/**
 * A lock held by one fiber at a time: the informer takes it for every watch event, so taking a
 * free lock is one flag rather than a Semaphore's permit accounting; waiters queue in arrival order.
 */
import * as Effect from "effect/Effect"

export interface Lock {
  /** Runs `effect` holding the lock (waiting for it first when another fiber holds it). */
  readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const make = (): Lock => {
  let held = false
  const waiting: Array<() => void> = []
  // The next waiter gets the lock as it is released (it stays held), so nobody can overtake it.
  const release = Effect.sync(() => {
    const next = waiting.shift()
    if (next === undefined) held = false
    else next()
  })
  const turn = Effect.async<void>((resume) => {
    if (!held) {
      held = true
      return resume(Effect.void)
    }
    const go = () => resume(Effect.void)
    waiting.push(go)
    return Effect.sync(() => {
      const at = waiting.indexOf(go)
      if (at >= 0) waiting.splice(at, 1)
    })
  })
  return {
    withLock: (effect) =>
      Effect.uninterruptibleMask((restore) => {
        // Released however `effect` ends (this region is already uninterruptible: no mask of ensuring's own).
        const holding = Effect.matchCauseEffect(restore(effect), {
          onFailure: (cause) => Effect.zipRight(release, Effect.failCause(cause)),
          onSuccess: (a) => Effect.as(release, a)
        })
        return Effect.suspend(() => {
          if (held) return Effect.zipRight(restore(turn), holding)
          held = true
          return holding
        })
      })
  }
}
