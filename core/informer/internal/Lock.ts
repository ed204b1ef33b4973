/**
 * A lock held by one fiber at a time: the informer takes it for every watch event, so taking a
 * free lock is one flag rather than a Semaphore's permit accounting; waiters queue in arrival order.
 */
import * as Effect from "effect/Effect"

/**
 * Runs `body` holding the lock, then `next` without it. It takes a free lock as it is called, so it
 * is called where its effect runs at once (in a continuation): `body` is called holding the lock,
 * `next` once it is released.
 */
export type Turn = <A, E, R>(
  body: () => Effect.Effect<void>,
  next: () => Effect.Effect<A, E, R>
) => Effect.Effect<A, E, R>

export interface Lock {
  /** Runs `effect` holding the lock (waiting for it first when another fiber holds it). */
  readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Runs `run`, which takes the lock with `turn` as often as it likes: cheaper than `withLock` per
   * turn (one operation when the lock is free), as one finalizer around the whole of `run` releases
   * the lock when it ends inside a turn (interrupted, or a defect), instead of one per turn.
   */
  readonly loop: <A, E, R>(run: (turn: Turn) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const make = (): Lock => {
  let held = false
  const waiting: Array<() => void> = []
  // The next waiter gets the lock as it is released (it stays held), so nobody can overtake it.
  const unlock = () => {
    const next = waiting.shift()
    if (next === undefined) held = false
    else next()
  }
  const release = Effect.sync(unlock)
  // `took` runs as the lock becomes this fiber's, even if the fiber is interrupted before it resumes.
  const turnOf = (took: () => void) =>
    Effect.async<void>((resume) => {
      if (!held) {
        held = true
        took()
        return resume(Effect.void)
      }
      const go = () => {
        took()
        resume(Effect.void)
      }
      waiting.push(go)
      return Effect.sync(() => {
        const at = waiting.indexOf(go)
        if (at >= 0) waiting.splice(at, 1)
      })
    })
  const turn = turnOf(() => {})
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
      }),
    loop: (run) =>
      Effect.suspend(() => {
        let mine = false
        const took = () => {
          mine = true
        }
        const waitTurn = turnOf(took)
        const turn: Turn = (body, next) => {
          const holding = () =>
            Effect.flatMap(body(), () => {
              mine = false
              unlock()
              return next()
            })
          if (held) return Effect.flatMap(waitTurn, holding)
          held = true
          mine = true
          return holding()
        }
        return Effect.onExit(run(turn), () =>
          Effect.sync(() => {
            if (!mine) return
            mine = false
            unlock()
          })
        )
      })
  }
}
