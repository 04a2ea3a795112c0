/**
 * The errors of the application's services: a registered code and, where one
 * field of a request is at fault, its name — which the HTTP API returns as
 * `{"error": {"code", "message", "field"}}` (the status comes from the code,
 * see http/errors.ts).
 */
import { type ErrorCode, SluiceError } from "../errors.js";

export class ServerError extends SluiceError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}
