/** A record's values as a compact table cell: long text clipped, objects as JSON. */
export function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">null</span>;
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return (
    <span class="clip" title={text.length > 80 ? text : undefined}>
      {text.length > 200 ? `${text.slice(0, 200)}…` : text}
    </span>
  );
}
