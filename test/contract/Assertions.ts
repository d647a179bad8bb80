import { expect } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { decodeCursor, type PageRequest, toPage } from "../../src/domain/Page.js"

/**
 * Rows are compared in their encoded form: plain JSON with ISO timestamps, so a lost millisecond,
 * a `null` that came back as `[]` or a reordered array shows up in the diff.
 */
export const expectSame = <A, I>(schema: Schema.Schema<A, I>, actual: A, expected: A): void => {
  const encode = Schema.encodeSync(schema)
  expect(encode(actual)).toStrictEqual(encode(expected))
}

export const expectSome = <A, I>(schema: Schema.Schema<A, I>, actual: Option.Option<A>, expected: A): void => {
  const encode = Schema.encodeSync(schema)
  expect(Option.getOrNull(Option.map(actual, encode))).toStrictEqual(encode(expected))
}

export const expectNone = <A>(actual: Option.Option<A>): void => {
  expect(Option.getOrUndefined(actual)).toBeUndefined()
}

export const ids = (rows: ReadonlyArray<{ readonly id: string }>): ReadonlyArray<string> => rows.map((row) => row.id)

/** The error a failed effect carries, for constraint violations the ports do not answer as values. */
export const failureTag = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

/**
 * Walks a keyset-paginated list as a client would, through `toPage` and the encoded cursor, and
 * returns the pages. Checks that no call returns more than `limit + 1` rows.
 */
export const allPages = <A extends { readonly id: string }, E, R>(
  fetch: (page: PageRequest) => Effect.Effect<ReadonlyArray<A>, E, R>,
  limit: number,
  after: string | null = null
) =>
  Effect.gen(function* () {
    const pages: Array<ReadonlyArray<A>> = []
    let cursor = after
    for (;;) {
      const rows = yield* fetch({ limit, after: cursor })
      expect(rows.length).toBeLessThanOrEqual(limit + 1)
      const page = toPage(rows, limit)
      pages.push(page.items)
      if (page.nextCursor === null) return pages
      cursor = decodeCursor(page.nextCursor)
      expect(cursor).not.toBeNull()
    }
  })
