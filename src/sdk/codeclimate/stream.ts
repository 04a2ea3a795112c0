/** A Stream record wrapped for syncStream; rejects anything else, as upstream. */
import { RecordValidator } from "./record-validator.js";

export interface StreamRecord {
  _type: string;
  id: string;
  self: string;
  name: string;
  htmlUrl?: string;
  [key: string]: unknown;
}

export class Stream {
  readonly record: StreamRecord;

  constructor(record: object) {
    const candidate = record as Partial<StreamRecord>;
    // Upstream throws strings here, and connectors' tests match on them.
    if (candidate._type !== "Stream") throw `Expected record to be a Stream, got ${JSON.stringify(candidate._type)}`;
    const problems = RecordValidator.shared().problems(record);
    if (problems.length) throw `Invalid Stream record: ${problems.join(", ")}`;
    this.record = candidate as StreamRecord;
  }

  get id(): string {
    return this.record.id;
  }

  get name(): string {
    return this.record.name;
  }

  get htmlUrl(): string | undefined {
    return this.record.htmlUrl;
  }

  get self(): string {
    return this.record.self;
  }
}
