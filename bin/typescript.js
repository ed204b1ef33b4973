// Loads the project's TypeScript without a build step: `node --import ./bin/typescript.js file.ts`,
// or an `import` of this file before the first TypeScript one (hooks are per thread: a worker thread
// imports it too). esbuild compiles each file as written; tsx, used before, also wrapped every
// function to keep its name, which cost a property dictionary per closure: an eighth of a large
// simulation's heap.
import { register } from "node:module"

process.setSourceMapsEnabled(true)
register("./typescriptHooks.js", import.meta.url)
