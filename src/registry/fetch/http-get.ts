/**
 * GET over HTTP(S) with Node's fetch: redirects followed (up to 20, fetch's
 * own limit), a non-2xx answer is an error naming the status, and network
 * failures name their cause (fetch only says "fetch failed").
 */
import { messageOf } from "../../errors.js";
import { FetchError, HttpStatusError } from "../errors.js";

/** `from`: where the URL came from, named when the answer is an error (default: the manifest's "uri"). */
export async function httpGet(url: string, signal?: AbortSignal, from?: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow", signal, headers: { "user-agent": "sluice" } });
  } catch (error) {
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      throw reason instanceof DOMException && reason.name === "TimeoutError"
        ? new FetchError(`GET ${url} timed out`)
        : reason;
    }
    const cause = (error as { cause?: unknown }).cause;
    throw new FetchError(`cannot GET ${url}: ${messageOf(cause ?? error)}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    const where = response.url && response.url !== url ? `${url} (redirected to ${response.url})` : url;
    throw new HttpStatusError(where, response.status, response.statusText, from);
  }
  return response;
}
