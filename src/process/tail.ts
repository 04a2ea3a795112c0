/**
 * The last lines of a child's output, bounded in lines and characters, to
 * quote in error messages ("its last output: …") however much it printed.
 */

export const TAIL_LINES = 20;
export const TAIL_CHARS = 8000;
const KEPT_END_CHARS = 200;

export class OutputTail {
  private readonly lines: string[] = [];
  private chars = 0;

  constructor(
    private readonly maxLines = TAIL_LINES,
    private readonly maxChars = TAIL_CHARS,
  ) {}

  add(line: string): void {
    const kept = this.cut(line);
    this.lines.push(kept);
    this.chars += kept.length;
    while (this.lines.length > this.maxLines || (this.chars > this.maxChars && this.lines.length > 1))
      this.chars -= this.lines.shift()!.length;
  }

  /** The kept lines, and `partial` (a line not yet ended) after them. */
  text(partial = ""): string {
    const lines = partial ? [...this.lines, this.cut(partial)] : this.lines;
    return lines.join("\n");
  }

  /** A line too long to quote whole keeps its start and its end (where a cut line says how much was cut). */
  private cut(line: string): string {
    if (line.length <= this.maxChars) return line;
    const end = Math.min(KEPT_END_CHARS, Math.floor(this.maxChars / 2));
    return `${line.slice(0, this.maxChars - end)}…${line.slice(-end)}`;
  }
}
