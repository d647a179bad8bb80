import type { SqlError } from "@effect/sql/SqlError"
import { ParseResult, Predicate } from "effect"
import { RepositoryError } from "../../domain/Errors.js"

/**
 * Classification of SQL failures. A failure is transient when running the same statement again
 * later may succeed: the connection was lost or refused, the server is shutting down or full,
 * or the transaction lost a serialization race or a deadlock, or the statement was cancelled
 * (DATABASE_STATEMENT_TIMEOUT, or the cancel an interrupted request sends): a slow or stuck
 * database, which a later try may find well again.
 */

const TRANSIENT_STATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "53300", // too_many_connections
  "57014", // query_canceled: statement_timeout, or a cancel sent for an interrupted request
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03" // cannot_connect_now
])

// Socket-level failures reported by Node (and by pg before a session exists).
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN"
])

// pg reports a dropped or timed-out connection as a plain Error without a code. A closed pool
// (pg) or database (PGlite) is the process shutting down: another instance can take the retry.
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection error/i,
  /failed to acquire connection/i,
  /cannot use a pool after calling end on the pool/i,
  /pglite is closed/i
]

// Five characters, like some Node errno codes ("EPIPE", "EPERM"); no SQLSTATE class starts with "E".
const SQLSTATE = /^[0-9A-DF-Z][0-9A-Z]{4}$/

/** The SQLSTATE of the first database error in the cause chain, if any. */
export const sqlState = (error: unknown): string | undefined => {
  for (const e of causeChain(error)) {
    const code = codeOf(e)
    if (code !== undefined && SQLSTATE.test(code)) return code
  }
  return undefined
}

export const isTransientState = (state: string): boolean => state.startsWith("08") || TRANSIENT_STATES.has(state)

export const isTransient = (error: unknown): boolean => {
  const state = sqlState(error)
  if (state !== undefined) return isTransientState(state)
  return causeChain(error).some((e) => {
    const code = codeOf(e)
    if (code !== undefined && NETWORK_CODES.has(code)) return true
    const message = Predicate.hasProperty(e, "message") && typeof e.message === "string" ? e.message : ""
    return CONNECTION_MESSAGES.some((pattern) => pattern.test(message))
  })
}

export const toRepositoryError = (error: SqlError | ParseResult.ParseError): RepositoryError => {
  if (ParseResult.isParseError(error)) {
    // The parse message quotes the offending values; they stay in the cause, out of the message.
    return new RepositoryError({ message: "A row or a parameter did not match its schema", transient: false, cause: error })
  }
  const state = sqlState(error)
  return new RepositoryError({
    message: state === undefined ? error.message : `${error.message} (SQLSTATE ${state})`,
    transient: isTransient(error),
    cause: error
  })
}

const codeOf = (e: unknown): string | undefined =>
  Predicate.hasProperty(e, "code") && typeof e.code === "string" ? e.code : undefined

// The error itself, its `cause`s and the members of an AggregateError (a refused connection to a
// host with several addresses), breadth-first and bounded against cycles.
const causeChain = (error: unknown): ReadonlyArray<unknown> => {
  const seen: Array<unknown> = []
  const queue: Array<unknown> = [error]
  while (queue.length > 0 && seen.length < 16) {
    const e = queue.shift()
    if (e === undefined || e === null || seen.includes(e)) continue
    seen.push(e)
    if (Predicate.hasProperty(e, "cause")) queue.push(e.cause)
    if (Predicate.hasProperty(e, "errors") && Array.isArray(e.errors)) queue.push(...e.errors)
  }
  return seen
}
