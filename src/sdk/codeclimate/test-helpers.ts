/**
 * codeclimate-connector-sdk/lib/TestHelpers: fakes for connector authors'
 * tests, with upstream's shapes and defaults (connectors' own test suites
 * assert on them): the fake producer validates like the real one and keeps
 * the bare records; the fake logger keeps its lines and logs at INFO unless
 * configured otherwise.
 */
import { Logger, type LoggerConfig, type LoggerIO } from "./logger.js";
import { type RecordEnvelope, RecordProducerFacade } from "./record-producer.js";
import type { State, StateManager } from "./state.js";

export class FakeLoggerIO implements LoggerIO {
  messages: string[] = [];

  write(text: string): void {
    this.messages.push(text);
  }
}

export class FakeLogger extends Logger {
  constructor(config?: LoggerConfig) {
    super(new FakeLoggerIO(), config);
  }

  get messages(): string[] {
    return (this.io as FakeLoggerIO).messages;
  }
}

export class FakeRecordProducerFacade extends RecordProducerFacade {
  private readonly produced: object[];

  constructor() {
    const produced: object[] = [];
    super({ produce: (envelope: RecordEnvelope) => produced.push(envelope.record) });
    this.produced = produced;
  }

  /** The records produced so far, without their envelopes. */
  get records(): object[] {
    return this.produced;
  }
}

export class FakeStateManager implements StateManager {
  private state: State | null = null;

  get(): State | null {
    return this.state;
  }

  set(newState: State): void {
    this.state = newState;
  }
}

export function buildFakeStateManager(): FakeStateManager {
  return new FakeStateManager();
}

export function buildFakeLogger(): FakeLogger {
  return new FakeLogger();
}

export function buildFakeRecordProducer(): FakeRecordProducerFacade {
  return new FakeRecordProducerFacade();
}
