/**
 * TLS for the API server: a self-signed serving certificate for loopback (what `minik8s up`
 * makes once and keeps, as kubeadm makes its CA), which clients trust as their certificate
 * authority through the kubeconfig's `certificate-authority-data`.
 */
import * as Effect from "effect/Effect"
import * as Os from "node:os"
import * as selfsigned from "selfsigned"

export interface ServingCertificate {
  /** PEM of the certificate; it is its own authority, so clients pin it as their CA. */
  readonly cert: string
  /** PEM of the private key. */
  readonly key: string
}

/** A certificate for 127.0.0.1, ::1, localhost and this host's name, valid for ten years. */
export const selfSigned: Effect.Effect<ServingCertificate> = Effect.promise(async () => {
  const now = new Date()
  const generated = await selfsigned.generate([{ name: "commonName", value: "minik8s-apiserver" }], {
    keyType: "ec",
    curve: "P-256",
    notBeforeDate: new Date(now.getTime() - 60 * 60 * 1000),
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
          { type: 2, value: "localhost" },
          { type: 2, value: Os.hostname() }
        ]
      }
    ]
  })
  return { cert: generated.cert, key: generated.private }
})
