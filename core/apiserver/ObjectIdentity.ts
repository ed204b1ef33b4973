/**
 * The answers when a request's object is not the one it addresses: another name than the URL's,
 * another namespace than the URL's, or another uid than the stored object's (word for word as Kubernetes).
 */
import { BadRequest, type Conflict, conflict } from "../api/errors.js"

/** 400: the body names another object than the URL (update handler). */
export const nameMismatch = (name: string, urlName: string | undefined): BadRequest =>
  new BadRequest({ message: `the name of the object (${name}) does not match the name on the URL (${urlName ?? ""})` })

/** 400: the body is in another namespace than the URL (`EnsureObjectNamespaceMatchesRequestNamespace`). */
export const namespaceMismatch = (): BadRequest =>
  new BadRequest({ message: "the namespace of the provided object does not match the namespace sent on the request" })

/** 409: a uid precondition names another object than the one stored under the name. */
export const uidPreconditionFailed = (
  resource: { readonly group: string; readonly plural: string },
  name: string,
  uid: string,
  actual: string | undefined
): Conflict =>
  conflict(resource, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${actual ?? ""}`)
