/** Records leave a connector through a RecordProducer; the facade validates each first. */
import { SluiceError } from "../../errors.js";
import { RecordValidator } from "./record-validator.js";

export interface RecordEnvelope {
  extractedAt?: Date;
  record: object;
}

export interface RecordProducer {
  /**
   * Upstream declares `produce: (RecordEnvelope) => void`: a parameter *named*
   * RecordEnvelope, so of type any, and connectors' own producers are typed
   * against that. The facade checks the envelope at run time.
   */
  // biome-ignore lint/suspicious/noExplicitAny: upstream's public type
  produce: (envelope: any) => void;
}

/** Thrown synchronously by `produce`; the message lists every problem with its path. */
export class InvalidRecordError extends SluiceError {
  override name = "InvalidRecordError";

  constructor(
    message: string,
    readonly problems: string[] = [message],
    /** The record that failed, so a host can say which one. */
    readonly record?: object,
  ) {
    super("RECORD_INVALID", message);
  }

  override toString(): string {
    return `${this.name} ${this.message}`;
  }
}

export class RecordProducerFacade implements RecordProducer {
  constructor(
    public implementation: RecordProducer,
    private readonly validator: RecordValidator = RecordValidator.shared(),
  ) {}

  produce(envelope: RecordEnvelope): void {
    const problems = this.validator.problems(envelope.record);
    if (problems.length) throw new InvalidRecordError(problems.join(", "), problems, envelope.record);
    this.implementation.produce(envelope);
  }
}
