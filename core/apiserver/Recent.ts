/**
 * Recent answers of a pure function of a string, kept up to a limit (then all forgotten at once):
 * clients send the same paths and Accept headers over and over, and every request routes and
 * negotiates.
 */
export const remembered = <A>(limit: number, answer: (key: string) => A): ((key: string) => A) => {
  const recent = new Map<string, A>()
  return (key) => {
    let found = recent.get(key)
    if (found === undefined) {
      if (recent.size >= limit) recent.clear()
      found = answer(key)
      recent.set(key, found)
    }
    return found
  }
}
