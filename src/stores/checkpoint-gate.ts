/**
 * Holds checkpoints back while a replacing (overwrite) table is unfinished.
 * Its rows sit in a staging table that a failed sync drops; a checkpoint saved
 * meanwhile would let the next sync resume past rows that are gone. So from a
 * replacing table's first staged row until it takes the table's place, the
 * latest checkpoint is kept in memory and saved with the last replacement, in
 * its transaction; a failure loses it, and the next sync starts from the
 * checkpoint before. Checkpoints before any staged row pass (they cannot
 * count rows not yet sent).
 */
import type { Checkpoint as StateCheckpoint } from "./types.js";

/** A checkpoint with the sync it belongs to. */
export interface Checkpoint extends StateCheckpoint {
  syncId: number;
}

export class CheckpointGate {
  private replacing = 0;
  private held: Checkpoint | undefined;

  /** A replacing table staged its first rows. */
  opened(): void {
    this.replacing++;
  }

  /** The checkpoint to save now, or undefined when it is held back. */
  pass(checkpoint: Checkpoint | undefined): Checkpoint | undefined {
    if (!checkpoint || this.replacing === 0) return checkpoint;
    this.held = checkpoint;
    return undefined;
  }

  /** A replacing table is finishing: the held checkpoint to save with it, when it is the last one. */
  finishing(): Checkpoint | undefined {
    if (this.replacing > 1) return undefined;
    const held = this.held;
    this.held = undefined;
    return held;
  }

  /** The replacement committed. */
  finished(): void {
    this.replacing = Math.max(0, this.replacing - 1);
  }
}
