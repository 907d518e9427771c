/**
 * fetch for the openai SDK that sends multipart bodies (audio uploads) as one buffer.
 *
 * Node's bundled undici turns a FormData body into a byte stream whose pull can
 * enqueue after the request was torn down; when the server is unreachable that
 * surfaced as an uncaught `ERR_INVALID_STATE: ReadableStream is already closed`
 * that killed the process after the error had already been reported (seen in 2 of
 * 4 runs). Serialising the form first (uploads are chunked under 25 MB) leaves no
 * stream to race.
 */
export const bufferedFormDataFetch: typeof fetch = async (input, init) => {
  if (!(init?.body instanceof FormData)) return fetch(input, init);
  const encoded = new Response(init.body);
  const body = new Uint8Array(await encoded.arrayBuffer());
  const headers = new Headers(init.headers);
  headers.set('content-type', encoded.headers.get('content-type')!);
  headers.delete('content-length');
  return fetch(input, { ...init, body, headers });
};
