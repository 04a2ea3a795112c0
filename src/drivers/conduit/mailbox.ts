/**
 * An async queue between a stream's events and a reader that awaits them:
 * `next()` resolves with the next item, or undefined once ended; a failure
 * reaches the reader after the items before it. A failure may be given as a
 * promise of the error (one still being explained, e.g. by the connector's
 * exit status): it ends the mailbox at once, so an `end` that follows it
 * (gRPC ends a stream right after its error) cannot pass for a clean end.
 * `onFull`/`onRoom` let the producer pause and resume (backpressure).
 */
export class Mailbox<T> {
  private readonly items: T[] = [];
  private readonly readers: { resolve: (item: T | undefined) => void; reject: (error: unknown) => void }[] = [];
  private ended = false;
  private failure: Promise<never> | undefined;
  private full = false;

  constructor(
    private readonly highWater = 16,
    private readonly onFull: () => void = () => {},
    private readonly onRoom: () => void = () => {},
  ) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const reader = this.readers.shift();
    if (reader) {
      reader.resolve(item);
      return;
    }
    this.items.push(item);
    if (!this.full && this.items.length >= this.highWater) {
      this.full = true;
      this.onFull();
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader.resolve(undefined);
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const failure = Promise.resolve(error).then((reason) => Promise.reject(reason));
    failure.catch(() => {}); // rejected for readers; not unhandled while none is waiting
    this.failure = failure;
    for (const reader of this.readers.splice(0)) failure.catch(reader.reject);
  }

  next(): Promise<T | undefined> {
    if (this.items.length) {
      const item = this.items.shift() as T;
      if (this.full && this.items.length < this.highWater / 2) {
        this.full = false;
        this.onRoom();
      }
      return Promise.resolve(item);
    }
    if (this.failure) return this.failure;
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** Resolves once there is room (for producers that can wait instead of pausing). */
  room(): Promise<void> {
    if (this.items.length < this.highWater) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.items.length < this.highWater ? resolve() : setTimeout(check, 5));
      check();
    });
  }
}
