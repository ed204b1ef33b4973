/** DefaultBinder: binds the pod through the API's `pods/{name}/binding` subresource (the Handle). */
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"

export const Name = "DefaultBinder"

export const make: Plugin.PluginFactory = (args, handle) => {
  reader(Name, args, [])
  return {
    name: Name,
    bind: (_state, pod, nodeName) => handle.bind(pod, nodeName)
  }
}
