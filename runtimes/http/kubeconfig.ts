/**
 * A kubeconfig for a minik8s API server: what `minik8s up` writes so kubectl and
 * @kubernetes/client-node can connect.
 */
import * as YAML from "yaml"

export interface KubeconfigOptions {
  /** The API server URL, e.g. `http://127.0.0.1:6443`. */
  readonly server: string
  readonly token?: string
  /** PEM of the authority that signed an `https://` server's certificate (kept as `certificate-authority-data`). */
  readonly certificateAuthority?: string
  /** The context's default namespace. */
  readonly namespace?: string
}

/** YAML text of a standard kubeconfig with one cluster, user and context, all named "minik8s". */
export const kubeconfig = (options: KubeconfigOptions): string =>
  YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    preferences: {},
    clusters: [
      {
        name: "minik8s",
        // Meaningless over plain HTTP, but @kubernetes/client-node refuses an http:// server without it.
        cluster: options.server.startsWith("http:")
          ? { server: options.server, "insecure-skip-tls-verify": true }
          : options.certificateAuthority === undefined
            ? { server: options.server }
            : {
                server: options.server,
                "certificate-authority-data": Buffer.from(options.certificateAuthority).toString("base64")
              }
      }
    ],
    users: [{ name: "minik8s", user: options.token === undefined ? {} : { token: options.token } }],
    contexts: [
      {
        name: "minik8s",
        context: {
          cluster: "minik8s",
          user: "minik8s",
          ...(options.namespace === undefined ? {} : { namespace: options.namespace })
        }
      }
    ],
    "current-context": "minik8s"
  })
