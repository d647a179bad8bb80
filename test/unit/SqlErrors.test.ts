import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { isTransient, sqlState, toRepositoryError } from "../../src/repositories/sql/SqlErrors.js"

/** What node-pg and PGlite throw for an ErrorResponse: an Error carrying the SQLSTATE as `code`. */
const databaseError = (code: string, message = "database error") => Object.assign(new Error(message), { code })
const failed = (cause: unknown, message = "Failed to execute statement") => new SqlError({ cause, message })

describe("SqlErrors", () => {
  describe("transient SQLSTATEs", () => {
    it.each([
      ["08000", "connection_exception"],
      ["08006", "connection_failure"],
      ["08001", "sqlclient_unable_to_establish_sqlconnection"],
      ["40001", "serialization_failure"],
      ["40P01", "deadlock_detected"],
      ["57P01", "admin_shutdown"],
      ["57P02", "crash_shutdown"],
      ["57P03", "cannot_connect_now"],
      ["53300", "too_many_connections"],
      ["57014", "query_canceled"]
    ])("%s (%s) is transient", (code) => {
      expect(isTransient(failed(databaseError(code)))).toBe(true)
    })
  })

  describe("permanent SQLSTATEs", () => {
    it.each([
      ["23505", "unique_violation"],
      ["23503", "foreign_key_violation"],
      ["23514", "check_violation"],
      ["22P02", "invalid_text_representation"],
      ["42P01", "undefined_table"],
      ["3D000", "invalid_catalog_name"],
      ["28P01", "invalid_password"],
      ["25P02", "in_failed_sql_transaction"],
      ["53100", "disk_full"]
    ])("%s (%s) is not transient", (code) => {
      expect(isTransient(failed(databaseError(code)))).toBe(false)
    })
  })

  it("treats socket failures as transient, also inside an AggregateError", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })
    expect(isTransient(failed(refused, "PgClient: Failed to connect"))).toBe(true)
    expect(isTransient(failed(new AggregateError([refused, refused])))).toBe(true)
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    expect(isTransient(failed(reset))).toBe(true)
    // Five letters, like a SQLSTATE, but an errno.
    const pipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE" })
    expect(sqlState(failed(pipe))).toBeUndefined()
    expect(isTransient(failed(pipe))).toBe(true)
  })

  it("treats node-pg's code-less connection messages as transient", () => {
    expect(isTransient(failed(new Error("Connection terminated unexpectedly")))).toBe(true)
    expect(isTransient(failed(new Error("timeout exceeded when trying to connect")))).toBe(true)
    expect(isTransient(new SqlError({ message: "Failed to acquire connection", cause: new Error("No client returned") }))).toBe(
      true
    )
  })

  it("treats a pool or database closed by shutdown as transient, whatever wraps it", () => {
    const ended = new Error("Cannot use a pool after calling end on the pool")
    expect(isTransient(failed(ended, "Failed to acquire connection"))).toBe(true)
    expect(isTransient(failed(ended, "Failed to notify"))).toBe(true)
    expect(isTransient(failed(new Error("PGlite is closed")))).toBe(true)
    expect(toRepositoryError(failed(ended, "Failed to notify")).transient).toBe(true)
  })

  it("treats a refused or timed-out connection attempt as transient", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })
    expect(isTransient(failed(refused, "Failed to acquire connection for transaction"))).toBe(true)
    expect(isTransient(failed(new Error("Connection terminated due to connection timeout"), "Failed to acquire connection"))).toBe(true)
  })

  it("lets a SQLSTATE decide over the wrapper's message", () => {
    // Acquiring a connection failed, but because the password is wrong: retrying will not help.
    expect(isTransient(failed(databaseError("28P01"), "Failed to acquire connection for transaction"))).toBe(false)
  })

  it("treats anything unrecognised as permanent", () => {
    expect(isTransient(failed(new Error("boom")))).toBe(false)
    expect(isTransient(failed(undefined))).toBe(false)
    expect(isTransient(failed("a string"))).toBe(false)
    expect(isTransient(failed(Object.assign(new Error("odd"), { code: 42 })))).toBe(false)
  })

  it("finds the SQLSTATE anywhere in the cause chain, but ignores non-SQLSTATE codes", () => {
    const nested = failed(new Error("wrapper", { cause: databaseError("40P01") }))
    expect(sqlState(nested)).toBe("40P01")
    expect(isTransient(nested)).toBe(true)
    expect(sqlState(failed(Object.assign(new Error("x"), { code: "ECONNRESET" })))).toBeUndefined()
  })

  it("survives a cyclic cause chain", () => {
    const a: { message: string; cause?: unknown } = { message: "a" }
    a.cause = { message: "b", cause: a }
    expect(isTransient(failed(a))).toBe(false)
  })

  it.effect("maps a SqlError to a RepositoryError carrying the classification and the cause", () =>
    Effect.sync(() => {
      const error = failed(databaseError("40001", "could not serialize access"))
      const mapped = toRepositoryError(error)
      expect(mapped._tag).toBe("RepositoryError")
      expect(mapped.transient).toBe(true)
      expect(mapped.message).toContain("40001")
      expect(mapped.cause).toBe(error)
      expect(toRepositoryError(failed(databaseError("23514"))).transient).toBe(false)
    }))

  it.effect("maps a row that does not decode to a permanent RepositoryError", () =>
    Effect.gen(function* () {
      const parseError = yield* Effect.flip(Schema.decodeUnknown(Schema.Struct({ id: Schema.String }))({ id: 1 }))
      const mapped = toRepositoryError(parseError)
      expect(mapped.transient).toBe(false)
      expect(mapped.cause).toBe(parseError)
    }))
})
