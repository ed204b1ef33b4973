/**
 * Reading a plugin's arguments (the extra keys of its profile entry and `pluginArgs`), strictly as
 * kube-scheduler decodes its `*Args` types: an unknown key or a value of the wrong type is an error
 * that names the plugin and the key, so a typo in a profile fails at start-up instead of being ignored.
 */

/** Thrown by a plugin factory for bad arguments; `Framework.make` turns it into its Left. */
export class InvalidPluginArgs extends Error {
  constructor(
    readonly plugin: string,
    message: string
  ) {
    super(`plugin "${plugin}": ${message}`)
    this.name = "InvalidPluginArgs"
  }
}

export type Args = Readonly<Record<string, unknown>>

const describe = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v)

/** Typed readers over one plugin's arguments. */
export const reader = (plugin: string, args: Args, known: ReadonlyArray<string>) => {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      const hint = known.length === 0 ? "it takes no arguments" : `known: ${known.join(", ")}`
      throw new InvalidPluginArgs(plugin, `unknown argument "${key}" (${hint})`)
    }
  }
  const fail = (message: string): never => {
    throw new InvalidPluginArgs(plugin, message)
  }
  return {
    fail,
    number: (key: string, fallback: number, min = -Infinity, max = Infinity): number => {
      const v = args[key]
      if (v === undefined) return fallback
      if (typeof v !== "number" || !Number.isFinite(v)) return fail(`"${key}" must be a number, got ${describe(v)}`)
      if (v < min || v > max) return fail(`"${key}" must be in [${min}, ${max}], got ${v}`)
      return v
    },
    boolean: (key: string, fallback: boolean): boolean => {
      const v = args[key]
      if (v === undefined) return fallback
      return typeof v === "boolean" ? v : fail(`"${key}" must be a boolean, got ${describe(v)}`)
    },
    strings: (key: string): ReadonlyArray<string> => {
      const v = args[key]
      if (v === undefined) return []
      if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) return fail(`"${key}" must be a list of strings`)
      return v as ReadonlyArray<string>
    },
    /** A list of objects, each checked by `item` (which may call `fail`). */
    list: <A>(key: string, item: (value: Args, at: string) => A): ReadonlyArray<A> | undefined => {
      const v = args[key]
      if (v === undefined) return undefined
      if (!Array.isArray(v)) return fail(`"${key}" must be a list, got ${describe(v)}`)
      return v.map((x, i) =>
        typeof x === "object" && x !== null && !Array.isArray(x)
          ? item(x as Args, `${key}[${i}]`)
          : fail(`"${key}[${i}]" must be an object, got ${describe(x)}`)
      )
    },
    object: (key: string): Args | undefined => {
      const v = args[key]
      if (v === undefined) return undefined
      return typeof v === "object" && v !== null && !Array.isArray(v)
        ? (v as Args)
        : fail(`"${key}" must be an object, got ${describe(v)}`)
    }
  }
}

export type Reader = ReturnType<typeof reader>
