/**
 * codeclimate-connector-sdk/lib/TestHelpers: fakes for connector authors'
 * tests. The fake producer validates like the real one and keeps the records.
 */
import { Logger, LoggerLevel, type LoggerIO } from "./logger.js";
import { type RecordEnvelope, type RecordProducer, RecordProducerFacade } from "./record-producer.js";
import type { State, StateManager } from "./state.js";

export class FakeLoggerIO implements LoggerIO {
  readonly messages: string[] = [];

  write(text: string): void {
    this.messages.push(text);
  }
}

export class FakeLogger extends Logger {
  constructor(
    io: FakeLoggerIO = new FakeLoggerIO(),
    config: { level?: LoggerLevel; tags?: string[] } = { level: LoggerLevel.DEBUG },
  ) {
    super(io, config);
  }

  get messages(): string[] {
    return (this.io as FakeLoggerIO).messages;
  }
}

class CollectingProducer implements RecordProducer {
  readonly records: RecordEnvelope[] = [];

  produce(envelope: RecordEnvelope): void {
    this.records.push(envelope);
  }
}

export class FakeRecordProducerFacade extends RecordProducerFacade {
  constructor() {
    super(new CollectingProducer());
  }

  get records(): RecordEnvelope[] {
    return (this.implementation as CollectingProducer).records;
  }
}

export class FakeStateManager implements StateManager {
  constructor(public state: State | null = null) {}

  get(): State | null {
    return this.state;
  }

  set(state: State): void {
    this.state = state;
  }
}

export const buildFakeLogger = (): FakeLogger => new FakeLogger();
export const buildFakeRecordProducer = (): FakeRecordProducerFacade => new FakeRecordProducerFacade();
export const buildFakeStateManager = (state: State | null = null): FakeStateManager => new FakeStateManager(state);
