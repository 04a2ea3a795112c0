/** The token of an `Authorization: Bearer <token>` header (HTTP) or gRPC metadata entry. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^\s*Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
