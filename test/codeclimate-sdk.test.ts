/**
 * The SDK surface connector authors program against, in-process: record
 * validation (messages, the upstream quirks Sluice fixes, the one it keeps
 * behind a flag), Stream, Logger, and the test helpers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  InvalidRecordError,
  Logger,
  LoggerLevel,
  RecordProducerFacade,
  RecordValidator,
  Stream,
} from "../src/sdk/codeclimate/index.js";
import {
  buildFakeLogger,
  buildFakeRecordProducer,
  buildFakeStateManager,
  FakeLogger,
} from "../src/sdk/codeclimate/test-helpers.js";

const validator = new RecordValidator();

test("every record type has a schema, and a minimal valid record of each passes", () => {
  assert.equal(validator.types.length, 45);
  assert.deepEqual(validator.problems({ _type: "Actor", id: "1", self: "yourschema://some-id" }), []);
  assert.deepEqual(
    validator.problems({
      _type: "Incident",
      id: "1",
      self: "https://x/1",
      title: "t",
      status: "resolved",
      createdAt: "2020-02-21 12:00:00Z",
    }),
    [],
  );
});

test("problems name the path and what was expected, nested ones too", () => {
  assert.deepEqual(
    validator.problems({
      _type: "Incident",
      id: "1",
      self: "https://x/1",
      title: "t",
      htmlUrl: "not-a-url",
      status: "not-a-status",
      createdAt: "not-a-time",
    }),
    [
      '.htmlUrl must match format "uri"',
      '.status must be one of "triggered", "acknowledged", "resolved"',
      '.createdAt must match format "date-time"',
    ],
  );
  assert.deepEqual(
    validator.problems({
      _type: "Repository",
      id: "r",
      self: "https://x/r",
      name: "n",
      owner: { id: "o", type: "robot", name: "n" },
    }),
    ['.owner.type must be one of "user", "organization"'],
  );
  assert.deepEqual(
    validator.problems({
      _type: "FileCoverage",
      self: "https://x/f",
      repository: "https://x/r",
      commitOid: "abc",
      lineHits: [1, null, "x"],
    }),
    [".lineHits[2] must be of type integer or null"],
  );
  assert.deepEqual(validator.problems({ _type: "Nope" }), ['"Nope" is not a recognized record type']);
  assert.deepEqual(validator.problems({ id: 1 }), ['missing required attribute "_type"']);
  assert.deepEqual(validator.problems("text"), ["a record must be an object, got string"]);
  assert.deepEqual(
    validator.problems({
      _type: "PullRequest",
      id: "1",
      self: "https://x/pr/1",
      repository: { _type: "Repository" },
      author: "not a uri",
      state: "open",
    }),
    [
      '.repository missing required attribute "id"',
      '.repository missing required attribute "self"',
      '.repository missing required attribute "owner"',
      '.repository missing required attribute "name"',
      '.author must match format "uri"',
    ],
  );
});

test("upstream quirks: fixed by default, the type lookup kept behind compat 'upstream'", () => {
  const comment = {
    _type: "PullRequestComment",
    id: "c",
    self: "https://x/c",
    pullRequest: "https://x/pr",
    author: "https://x/u",
  };
  assert.deepEqual(validator.problems(comment), []);
  assert.deepEqual(new RecordValidator("upstream").problems(comment), [
    '"PullRequestComment" is not a recognized record type',
  ]);
  // Incident declares `_type` (upstream declares `type`), FileCoverage requires `_type` (upstream: `_self`)
  assert.deepEqual(
    validator.problems({
      _type: "FileCoverage",
      self: "https://x/f",
      repository: "https://x/r",
      commitOid: "a",
      lineHits: [],
    }),
    [],
  );
  // CalendarEvent's "start.timeZone" means the nested field
  assert.deepEqual(
    validator.problems({ _type: "CalendarEvent", id: "e", self: "https://x/e", start: {}, end: { timeZone: "UTC" } }),
    ['.start missing required attribute "timeZone"'],
  );
  // extra properties stay allowed: upstream's "additonalProperties" never applied, and connectors rely on it
  assert.deepEqual(validator.problems({ _type: "Actor", id: "1", self: "https://x/1", extra: true }), []);
});

test("the facade throws InvalidRecordError synchronously and forwards valid records; the fake keeps bare records", () => {
  const producer = buildFakeRecordProducer();
  producer.produce({ record: { _type: "Actor", id: "1", self: "https://x/1" } });
  assert.deepEqual(producer.records, [{ _type: "Actor", id: "1", self: "https://x/1" }]);
  assert.throws(
    () => producer.produce({ record: { _type: "Actor", id: 1 } }),
    (error: unknown) =>
      error instanceof InvalidRecordError &&
      error.toString() === 'InvalidRecordError missing required attribute "self", .id must be of type string',
  );
  assert.ok(producer instanceof RecordProducerFacade);
  assert.equal(producer.records.length, 1);
});

test("Stream, Logger and the state manager behave as upstream's", () => {
  const stream = new Stream({ _type: "Stream", id: "1", self: "https://x/s", name: "S", htmlUrl: "https://x" });
  assert.deepEqual([stream.id, stream.name, stream.self, stream.htmlUrl], ["1", "S", "https://x/s", "https://x"]);
  assert.throws(
    () => new Stream({ _type: "Actor", id: "1", self: "https://x/1" }),
    (e: unknown) => typeof e === "string" && /Stream/.test(e),
  );
  assert.throws(
    () => new Stream({ _type: "Stream", id: "1" }),
    (e: unknown) => typeof e === "string" && /missing required attribute "self"/.test(e),
  );

  const lines: string[] = [];
  const logger = new Logger({ write: (s) => lines.push(s) }, { level: LoggerLevel.WARN }).taggedChild(["pagerduty"]);
  logger.info("hidden");
  logger.warn("shown");
  assert.deepEqual(lines, ["[pagerduty] shown\n"]);
  const { info } = logger;
  info("hidden, and detached");
  assert.deepEqual(lines, ["[pagerduty] shown\n"], "the level methods work detached, as upstream's properties");

  const fake = buildFakeLogger();
  fake.debug("dropped at INFO, upstream's default");
  fake.info("kept");
  fake.taggedChild(["child"]).warn("kept too");
  assert.deepEqual(fake.messages, ["kept\n", "[child] kept too\n"]);
  const debugging = new FakeLogger({ level: LoggerLevel.DEBUG });
  debugging.debug("kept at DEBUG");
  assert.deepEqual(debugging.messages, ["kept at DEBUG\n"]);

  const state = buildFakeStateManager();
  assert.equal(state.get(), null);
  state.set({ checkpointTime: new Date(0), metadata: { page: 2 } });
  assert.deepEqual(state.get(), { checkpointTime: new Date(0), metadata: { page: 2 } });
});
