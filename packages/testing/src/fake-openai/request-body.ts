import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { HttpError } from './http-error.ts';
import type { RecordedRequest } from './types.ts';

/** The real API's upload limit for /audio/transcriptions: larger files get 413, so the client must split. */
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;

/** JSON bodies (chat with images, embeddings) may be large, but not unbounded. */
const MAX_JSON_BYTES = 50 * 1024 * 1024;

/** A transcription request: the form fields (repeatable, hence arrays) and the uploaded file. */
export interface MultipartBody {
  fields: Record<string, string[]>;
  file?: Buffer;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request too large: ${size} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON request body, with its model noted in the log. */
export async function readJson(req: IncomingMessage, record: RecordedRequest): Promise<Record<string, unknown>> {
  const raw = await readBody(req, MAX_JSON_BYTES);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'We could not parse the JSON body of your request.');
  }
  record.model = typeof json.model === 'string' ? json.model : undefined;
  return json;
}

/** A multipart/form-data upload, refused with OpenAI's 413 past MAX_AUDIO_BYTES. */
export function readMultipart(req: IncomingMessage, record: RecordedRequest): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    if (!/multipart\/form-data/.test(req.headers['content-type'] ?? ''))
      return reject(new HttpError(400, 'Expected multipart/form-data'));
    const fields: Record<string, string[]> = {};
    let file: Buffer | undefined;
    let tooLarge = false;
    const bb = busboy({ headers: req.headers, limits: { fileSize: MAX_AUDIO_BYTES } });
    bb.on('field', (name, value) => (fields[name] ??= []).push(value));
    bb.on('file', (_name, stream, info) => {
      record.fileName = info.filename;
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('limit', () => (tooLarge = true));
      stream.on('end', () => {
        file = Buffer.concat(parts);
        // One byte over the limit tells tests the upload was cut, not that it fitted exactly.
        record.fileBytes = file.length + (tooLarge ? 1 : 0);
      });
    });
    bb.on('error', (e) => reject(new HttpError(400, `Malformed multipart body: ${(e as Error).message}`)));
    bb.on('close', () => {
      record.model = fields.model?.[0];
      record.responseFormat = fields.response_format?.[0];
      if (tooLarge)
        return reject(
          new HttpError(
            413,
            `Maximum content size limit (${MAX_AUDIO_BYTES}) exceeded.`,
            'invalid_request_error',
            'file_too_large',
          ),
        );
      resolve({ fields, file });
    });
    req.pipe(bb);
  });
}
