import { Arbitrary, Either, FastCheck as fc, Schema, type SchemaAST } from "effect"
import type { AnySchema } from "./Contract.js"
import { type Json, toJson } from "./Json.js"

/** A wire value, and whether it was made on the Type side (valid by construction) or the encoded side (anything of the right shape). */
export interface Generated {
  readonly value: Json
  readonly side: "type" | "encoded"
}

const cache = new Map<AnySchema, fc.Arbitrary<Generated>>()

/** Wire values: generated on the Type side and encoded (3 in 4), or generated on the encoded side. */
export const wireValue = (schema: AnySchema): fc.Arbitrary<Generated> => {
  const known = cache.get(schema)
  if (known !== undefined) return known
  const encode = Schema.encodeEither(schema)
  const encoded = Arbitrary.make(Schema.encodedSchema(schema)).map((v): Generated => ({ value: toJson(v), side: "encoded" }))
  const typed = Arbitrary.make(schema).chain((value) =>
    Either.match(encode(value), { onLeft: () => encoded, onRight: (v) => fc.constant<Generated>({ value: toJson(v), side: "type" }) })
  )
  const arbitrary = fc.oneof({ weight: 3, arbitrary: typed }, { weight: 1, arbitrary: encoded })
  cache.set(schema, arbitrary)
  return arbitrary
}

/** The top-level field names of a struct schema (query parameters, headers). */
export const fieldNames = (ast: SchemaAST.AST): ReadonlyArray<string> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.flatMap((p) => (typeof p.name === "string" ? [p.name] : []))
    case "Transformation":
      return fieldNames(ast.from)
    case "Refinement":
      return fieldNames(ast.from)
    case "Declaration":
      return ast.typeParameters.flatMap(fieldNames)
    case "Union":
      return [...new Set(ast.types.flatMap(fieldNames))]
    default:
      return []
  }
}
