import { z } from "zod";

export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema keywords added to particular zod schemas (by identity) when they are converted: what the constant
 * schemas cannot know, such as the loaded model's labels or a configured limit (see schema-facts.ts).
 */
export type SchemaFacts = ReadonlyMap<z.core.$ZodType, JsonSchema>;

/** Zod schemas that are components of the document (by identity), with their names. */
export type ComponentNames = ReadonlyMap<z.core.$ZodType, string>;

export interface JsonSchemaOptions {
  /** "input" for request bodies (what the handler accepts), "output" for responses (what it sends). */
  io: "input" | "output";
  facts?: SchemaFacts;
  /** Nested schemas named here become `$ref`s to `#/components/schemas/<name>`. */
  components?: ComponentNames;
}

export const componentRef = (name: string) => `#/components/schemas/${name}`;

/**
 * A zod schema as a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), without `$schema`. Throws for a schema
 * JSON Schema cannot express (e.g. a transform), so such a schema cannot silently become `{}` in the document.
 */
export function jsonSchemaOf(schema: z.core.$ZodType, { io, facts, components }: JsonSchemaOptions): JsonSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "throw",
    override: ({ zodSchema, jsonSchema: converted }) => {
      const name = zodSchema === schema ? undefined : components?.get(zodSchema);
      if (name !== undefined) {
        for (const key of Object.keys(converted)) delete converted[key];
        converted.$ref = componentRef(name);
        return;
      }
      const added = facts?.get(zodSchema);
      if (added) Object.assign(converted, added);
    },
  });
  return jsonSchema;
}
