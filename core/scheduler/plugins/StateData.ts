/**
 * Per-cycle data a plugin computes once (in pre-filter or pre-score) and reads for every node. It
 * lives in the CycleState, as in Kubernetes, and the last read is remembered by the state's identity
 * because filter and score run per node: a Map lookup there would cost as much as the check itself.
 */
import type { CycleState } from "../framework/Plugin.js"

/** A typed slot in the CycleState. */
export interface StateData<T> {
  readonly write: (state: CycleState, value: T) => void
  /** The value written in this cycle, or undefined (the point that writes it was skipped). */
  readonly read: (state: CycleState) => T | undefined
}

export const stateData = <T>(key: string): StateData<T> => {
  let lastState: CycleState | undefined
  let lastValue: T | undefined
  return {
    write: (state, value) => {
      state.write(key, value)
      lastState = state
      lastValue = value
    },
    read: (state) => {
      if (state !== lastState) {
        lastState = state
        lastValue = state.read<T>(key)
      }
      return lastValue
    }
  }
}
