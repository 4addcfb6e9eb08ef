/**
 * The one table of error codes. Every failure a user can cause or meet maps to one of these,
 * with an HTTP status for the API and a message that says what to do.
 */
export const errorCodes = {
  INVALID_ARGUMENT: { status: 400, hint: 'Check the argument named in the message.' },
  EMPTY_INPUT: { status: 400, hint: 'The input has no content; send a non-empty file or text.' },
  CORRUPT_MEDIA: { status: 422, hint: 'The file could not be decoded; it may be damaged or truncated.' },
  UNSUPPORTED_MEDIA: { status: 415, hint: 'Use one of the supported formats.' },
  INPUT_TOO_LARGE: { status: 413, hint: 'Send a smaller file.' },
  NOT_FOUND: { status: 404, hint: 'Check the id or path.' },
  METHOD_NOT_ALLOWED: { status: 405, hint: 'Use a method the Allow header lists; GET /api/openapi.json describes every route.' },
  UNAUTHENTICATED: { status: 401, hint: 'Send the API key as `Authorization: Bearer <key>` (ROSETTA_API_KEY on the server).' },
  NOT_READY: { status: 503, hint: 'The server is still loading the collection and the encoders; retry when GET /api/health answers 200.' },
  MODEL_NOT_READY: { status: 503, hint: 'Run `rosetta models list` to see which model files are missing.' },
  MODEL_INVALID: { status: 500, hint: 'The model file or its manifest does not match; re-export or fix the manifest.' },
  DEVICE_UNAVAILABLE: { status: 503, hint: 'Choose another --device, or --device auto to fall back to the CPU.' },
  DIMENSION_MISMATCH: { status: 409, hint: 'Vectors from different encoders or spaces cannot be mixed.' },
  INTERNAL: { status: 500, hint: 'This is a bug; please report it with the request id.' },
} as const satisfies Record<string, { status: number; hint: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** An error a caller can act on: `code` is stable, `message` names the input and the reason. */
export class RosettaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RosettaError';
    this.code = code;
    this.status = errorCodes[code].status;
  }

  get hint(): string {
    return errorCodes[this.code].hint;
  }
}

export function isRosettaError(err: unknown, code?: ErrorCode): err is RosettaError {
  return err instanceof RosettaError && (code === undefined || err.code === code);
}
