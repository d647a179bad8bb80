import { Cause, Chunk, Predicate } from "effect"
import { isTransientRepositoryError } from "../domain/Errors.js"
import type { CauseLink } from "../domain/DeadLetter.js"

/**
 * What a dead letter says about why its handler gave up: the failures and defects of the last
 * attempt, each followed by the errors it wraps. Messages and tags only, so an admin can read
 * it through the API; the full cause with its stack traces is logged when the letter is written.
 */
export interface FailureReport {
  readonly error: string
  readonly cause: string
  readonly causeChain: ReadonlyArray<CauseLink>
}

// Enough to show a wrapped driver error under a repository error under a handler error.
const MAX_DEPTH = 8
const MAX_MESSAGE = 2_000

const messageOf = (u: unknown): string => {
  if (typeof u === "string") return u
  if (Predicate.hasProperty(u, "message") && typeof u.message === "string" && u.message !== "") return u.message
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

const tagOf = (u: unknown): string => {
  if (Predicate.hasProperty(u, "_tag") && typeof u._tag === "string") return u._tag
  if (u instanceof Error) return u.name
  return typeof u
}

const link = (kind: CauseLink["kind"], u: unknown): CauseLink => ({
  kind,
  tag: tagOf(u),
  message: messageOf(u).slice(0, MAX_MESSAGE)
})

const withWrapped = (kind: "failure" | "defect", error: unknown): ReadonlyArray<CauseLink> => {
  const links = [link(kind, error)]
  let current: unknown = error
  while (links.length < MAX_DEPTH && Predicate.hasProperty(current, "cause") && current.cause != null) {
    current = current.cause
    links.push(link("cause", current))
  }
  return links
}

// Stack frames are noise in an admin view and may reveal paths; the logged cause keeps them.
const withoutStackFrames = (text: string): string =>
  text
    .split("\n")
    .filter((line) => !/^\s*at\s/.test(line))
    .join("\n")

export const describeFailure = (cause: Cause.Cause<unknown>): FailureReport => {
  const causeChain = [
    ...Chunk.toReadonlyArray(Cause.failures(cause)).flatMap((error) => withWrapped("failure", error)),
    ...Chunk.toReadonlyArray(Cause.defects(cause)).flatMap((defect) => withWrapped("defect", defect))
  ]
  return {
    error: causeChain[0]?.message ?? "interrupted",
    cause: withoutStackFrames(Cause.pretty(cause, { renderErrorCause: true })),
    causeChain
  }
}

/** A `HandlerError` with `permanent: true` anywhere among the failures: retrying cannot help. */
export const isPermanent = (cause: Cause.Cause<unknown>): boolean =>
  Chunk.some(
    Cause.failures(cause),
    (error) => Predicate.isTagged(error, "HandlerError") && Predicate.hasProperty(error, "permanent") && error.permanent === true
  )

/**
 * Only infrastructure that a later try may find well again (a `RepositoryError` marked transient:
 * the database unreachable, a pool timeout, a cancelled statement), and nothing else: no handler
 * error, no defect. Such a failure says nothing about the event, so it is never dead-lettered:
 * the delivery stays pending and comes back once the dependency does.
 */
export const isTransientOnly = (cause: Cause.Cause<unknown>): boolean => {
  const failures = Chunk.toReadonlyArray(Cause.failures(cause))
  return failures.length > 0 && Chunk.isEmpty(Cause.defects(cause)) &&
    failures.every(isTransientRepositoryError)
}
