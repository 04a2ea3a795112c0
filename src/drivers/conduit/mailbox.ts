/**
 * An async queue between a stream's events and a reader that awaits them:
 * `next()` resolves with the next item, or undefined once ended; a failure
 * reaches the reader after the items before it. `onFull`/`onRoom` let the
 * producer pause and resume (backpressure).
 */
export class Mailbox<T> {
  private readonly items: T[] = [];
  private readonly readers: { resolve: (item: T | undefined) => void; reject: (error: unknown) => void }[] = [];
  private ended = false;
  private failure: unknown;
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
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader.resolve(undefined);
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader.reject(error);
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
    if (this.failure !== undefined) return Promise.reject(this.failure);
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
