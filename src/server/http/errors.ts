/**
 * Every error the API returns: JSON `{"error": {"code", "message", "field"}}`
 * with a stable code and, where one field is at fault, its name. Errors
 * from below (SluiceErrors) get their HTTP status from their code.
 */
import type { FastifyError } from "fastify";
import { SluiceError } from "../../errors.js";

export interface ErrorPayload {
  error: { code: string; message: string; field?: string };
}

/** HTTP status of the SluiceError codes a request can meet (all others: 400 for SluiceErrors). */
const STATUS_BY_CODE: Record<string, number> = {
  REQUEST_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF_REQUIRED: 403,
  CONNECTION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  TABLE_NOT_FOUND: 404,
  CONNECTOR_NOT_INSTALLED: 404,
  NOT_INSTALLED: 404,
  PLAN_NOT_FOUND: 404,
  NOT_FOUND: 404,
  CONNECTION_EXISTS: 409,
  CONNECTOR_EXISTS: 409,
  CONNECTOR_IN_USE: 409,
  RUN_ACTIVE: 409,
  RUN_NOT_HERE: 409,
  SERVER_STOPPING: 503,
  TEMPORAL_UNREACHABLE: 503,
  SYNC_ALREADY_RUNNING: 409,
  METADATA_FAILED: 500,
  STORE_FAILED: 500,
  STORE_BUSY: 503,
  STORE_UNREACHABLE: 503,
  STORE_AUTH_FAILED: 503,
  STORE_TLS_FAILED: 503,
  SECRET_KEY_MISMATCH: 500,
  SECRET_UNREADABLE: 500,
};

/** Errors of the connector or its install: the request was fine, the connector said no or failed. */
const CONNECTOR_FAILURE = /^(PLUGIN_|CONNECTOR_|INSTALL_|FETCH_|SYNC_|OPTIONS_INVALID|STREAM_UNKNOWN)/;

export function toErrorResponse(error: unknown): { status: number; body: ErrorPayload } {
  const validation = (error as FastifyError).validation;
  if (validation?.length) {
    const first = validation[0];
    const context = (error as FastifyError).validationContext ?? "body";
    const { missingProperty: missing, additionalProperty: unknown } = first.params as {
      missingProperty?: string;
      additionalProperty?: string;
    };
    const within = first.instancePath.split("/").filter(Boolean);
    // A missing or misspelt field is named itself, not only the object that lacks or holds it.
    const path = [...within, ...(missing ? [missing] : []), ...(unknown !== undefined ? [unknown] : [])];
    const field = path.length ? path.join(".") : context;
    const problem = missing ? "is required" : (first.message ?? "is invalid");
    const message =
      unknown !== undefined
        ? `${[context, ...within].join(".")} has no field "${unknown}"`
        : `${context}${path.length ? `.${path.join(".")}` : ""} ${problem}`;
    return { status: 400, body: { error: { code: "REQUEST_INVALID", message, field } } };
  }
  if (error instanceof SluiceError) {
    const field = (error as { field?: unknown }).field;
    const status = STATUS_BY_CODE[error.code] ?? (CONNECTOR_FAILURE.test(error.code) ? 422 : 400);
    return { status, body: payload(error.code, error.message, typeof field === "string" ? field : undefined) };
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500)
    return { status, body: payload((error as FastifyError).code ?? "REQUEST_INVALID", (error as Error).message) };
  return { status: 500, body: payload("INTERNAL", "the server failed; its log says why") };
}

function payload(code: string, message: string, field?: string): ErrorPayload {
  return { error: field ? { code, message, field } : { code, message } };
}
