/**
 * An error the fake answers the way OpenAI does: the status, and a body of
 * `{ error: { message, type, code, param } }` that the openai SDK turns into its own errors.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  constructor(
    status: number,
    message: string,
    type = 'invalid_request_error',
    code: string | null = null,
    param: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

/** The 404 OpenAI gives for a model name it does not know. */
export const modelNotFound = (model: string | undefined): HttpError =>
  new HttpError(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    'invalid_request_error',
    'model_not_found',
  );
