// Module hooks that load the project's TypeScript (registered by ./typescript.js): a relative `.js`
// import names its `.ts` file when there is one, and `.ts` and `.mts` files are compiled by esbuild, file
// by file, as ES modules.
import { readFile } from "node:fs/promises"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { transform } from "esbuild"

const typescript = /\.m?ts$/

// Only our own files look for a .ts sibling: a package's relative imports go straight on, unprobed.
const ours = (parentURL) => parentURL?.startsWith("file:") === true && !parentURL.includes("/node_modules/")

export const resolve = (specifier, context, nextResolve) => {
  if (specifier.endsWith(".js") && /^(\.{1,2}\/|\/|file:)/.test(specifier) && ours(context.parentURL)) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL)
    if (existsSync(url)) return { url: url.href, shortCircuit: true }
  }
  return nextResolve(specifier, context)
}

export const load = async (url, context, nextLoad) => {
  if (!url.startsWith("file:") || !typescript.test(new URL(url).pathname)) return nextLoad(url, context)
  const path = fileURLToPath(url)
  const { code } = await transform(await readFile(path, "utf8"), {
    loader: "ts",
    format: "esm",
    target: `node${process.versions.node}`,
    sourcemap: "inline",
    sourcefile: path
  })
  return { format: "module", source: code, shortCircuit: true }
}
