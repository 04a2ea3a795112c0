/** A stream's JSON Schema properties as column types, as Singer and Airbyte tools write them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { columnTypeOfSchema } from "../../src/stores/values.js";

test("a type, or a type and null, is that type", () => {
  assert.equal(columnTypeOfSchema({ type: "integer" }), "integer");
  assert.equal(columnTypeOfSchema({ type: ["null", "string"], format: "date-time" }), "timestamp");
  assert.equal(columnTypeOfSchema({ type: "string", airbyte_type: "big_integer" }), "numeric");
  assert.equal(columnTypeOfSchema({ type: ["string", "integer"] }), "any");
  assert.equal(columnTypeOfSchema({}), "any");
});

test("anyOf / oneOf of one type and null is that type; of several, any", () => {
  const nullableTime = { anyOf: [{ type: "string", format: "date-time" }, { type: "null" }] };
  assert.equal(columnTypeOfSchema(nullableTime), "timestamp");
  assert.equal(columnTypeOfSchema({ oneOf: [{ type: "null" }, { type: ["integer", "null"] }] }), "integer");
  assert.equal(columnTypeOfSchema({ anyOf: [{ type: "string" }, { type: "integer" }] }), "any");
  assert.equal(columnTypeOfSchema({ anyOf: [{ type: "null" }] }), "any");
  assert.equal(columnTypeOfSchema({ anyOf: "not a list" }), "any");
});
