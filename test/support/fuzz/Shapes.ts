import { SchemaAST } from "effect"
import type { AnySchema } from "./Contract.js"

/**
 * The bounds a schema puts on its fields, by field pattern (`operations.*.title`): what the
 * boundary mutations aim at. Read from the refinements' JSON Schema annotations, on both sides
 * of every transformation, since the served document loses some of them (a trimmed string's
 * `maxLength`).
 */
export interface Bounds {
  readonly maxLength?: number
  readonly maxItems?: number
}

const numberIn = (u: unknown, key: string): number | undefined => {
  if (typeof u !== "object" || u === null) return undefined
  const value: unknown = Reflect.get(u, key)
  return typeof value === "number" ? value : undefined
}

export const fieldBounds = (schema: AnySchema): ReadonlyMap<string, Bounds> => {
  const found = new Map<string, Bounds>()
  // Keyed by node and path: one schema (a `Label`, a `Version`) may sit at several fields.
  const seen = new Map<SchemaAST.AST, Set<string>>()
  const note = (path: string, bounds: Bounds) => found.set(path, { ...found.get(path), ...bounds })
  const walk = (ast: SchemaAST.AST, path: ReadonlyArray<string>): void => {
    const key = path.join(".")
    const at = seen.get(ast) ?? new Set<string>()
    if (at.has(key)) return
    seen.set(ast, at.add(key))
    switch (ast._tag) {
      case "Refinement": {
        const json = ast.annotations[SchemaAST.JSONSchemaAnnotationId]
        const maxLength = numberIn(json, "maxLength")
        const maxItems = numberIn(json, "maxItems")
        if (maxLength !== undefined) note(key, { maxLength })
        if (maxItems !== undefined) note(key, { maxItems })
        walk(ast.from, path)
        break
      }
      case "Transformation":
        walk(ast.from, path)
        walk(ast.to, path)
        break
      case "Declaration":
        ast.typeParameters.forEach((t) => walk(t, path))
        break
      case "TypeLiteral":
        for (const property of ast.propertySignatures) if (typeof property.name === "string") walk(property.type, [...path, property.name])
        break
      case "TupleType":
        ast.elements.forEach((e) => walk(e.type, [...path, "*"]))
        ast.rest.forEach((r) => walk(r.type, [...path, "*"]))
        break
      case "Union":
        ast.types.forEach((t) => walk(t, path))
        break
      case "Suspend":
        walk(ast.f(), path)
        break
      default:
        break
    }
  }
  walk(schema.ast, [])
  return found
}
