/**
 * What `minik8s down` does to the engine: removes every container (sandboxes included) that a node
 * agent of the given nodes created, found by the node label, whatever state it is in.
 */
import Docker from "dockerode"
import * as Effect from "effect/Effect"
import { RuntimeError } from "../../core/runtime/ContainerRuntime.js"
import { nodeLabel } from "./labels.js"

/** Removes (forcibly) the containers of `nodes`; answers how many it removed. */
export const removeNodeContainers = (
  nodes: ReadonlyArray<string>,
  socketPath = "/var/run/docker.sock"
): Effect.Effect<number, RuntimeError> =>
  Effect.tryPromise({
    try: async () => {
      const docker = new Docker({ socketPath })
      let removed = 0
      for (const node of nodes) {
        const containers = await docker.listContainers({ all: true, filters: { label: [`${nodeLabel}=${node}`] } })
        for (const c of containers) {
          await docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch((e: { statusCode?: number }) => {
              if (e.statusCode !== 404) throw e
            })
          removed++
        }
      }
      return removed
    },
    catch: (e) =>
      new RuntimeError({ message: `Docker at ${socketPath}: ${e instanceof Error ? e.message : String(e)}` })
  })
