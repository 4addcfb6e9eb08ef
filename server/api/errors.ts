import type { ErrorRequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { RosettaError, isRosettaError, type ErrorCode } from '../../models/errors.ts';
import type { ErrorBody } from './schemas.ts';

/**
 * A zod failure as one message naming every bad field, e.g.
 * "k: must be at most 1000; weights.text: expected number, received string".
 */
export function validationError(error: z.ZodError, where = ''): RosettaError {
  const parts = error.issues.map((i) => {
    const at = [where, ...i.path.map(String)].filter(Boolean).join('.');
    const message = i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
    return at ? `${at}: ${message}` : message;
  });
  return new RosettaError('INVALID_ARGUMENT', parts.join('; '));
}

/** Parses `value` with `schema` or throws INVALID_ARGUMENT naming the fields. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, where);
  return r.data;
}

/** Errors raised by express's body parsers and multer, mapped to our codes. */
function fromFramework(err: unknown, maxBytes: number): RosettaError | undefined {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE' || err.code === 'LIMIT_FIELD_VALUE') {
      return new RosettaError('INPUT_TOO_LARGE', `${err.field ?? 'a field'} is larger than the limit of ${maxBytes} bytes`);
    }
    if (err.code === 'LIMIT_UNEXPECTED_FILE') {
      // multer says the same when a known field holds a second file: name both causes.
      return new RosettaError(
        'INVALID_ARGUMENT',
        `file field "${err.field ?? '?'}" is not taken here or was sent twice: a search takes one file in each of image, sketch and audio; POST /api/items takes one, in "file"`,
      );
    }
    return new RosettaError('INVALID_ARGUMENT', `multipart body: ${err.message}`);
  }
  const e = err as { type?: string; status?: number; message?: string; code?: unknown } | undefined;
  // zlib's and brotli's own errors, passed on by body-parser ("incorrect header check").
  if (typeof e?.code === 'string' && /^(Z_|ERR_BROTLI|ERR__ERROR)/.test(e.code)) {
    return new RosettaError('INVALID_ARGUMENT', `the body could not be decompressed as its Content-Encoding says: ${e.message ?? e.code}`);
  }
  switch (e?.type) {
    case 'entity.too.large':
      return new RosettaError('INPUT_TOO_LARGE', `the request body is larger than the limit of ${maxBytes} bytes`);
    case 'entity.parse.failed':
      return new RosettaError('INVALID_ARGUMENT', `the body is not valid JSON: ${e.message ?? ''}`.trim());
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new RosettaError('UNSUPPORTED_MEDIA', e.message ?? 'unsupported body encoding');
    case 'request.aborted':
      return new RosettaError('INVALID_ARGUMENT', 'the request was aborted by the client');
  }
  if (e?.message?.startsWith('Multipart:') || e?.message === 'Unexpected end of form' || e?.message === 'Malformed part header') {
    return new RosettaError('INVALID_ARGUMENT', `multipart body: ${e.message}`);
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new RosettaError('INVALID_ARGUMENT', e.message ?? 'bad request');
  return undefined;
}

/** What a 503 sent while the collection loads tells a client (RFC 9110 §10.2.3): ask again soon. */
export const RETRY_WHILE_STARTING = { 'Retry-After': '2' } as const;

const retryable = new WeakSet<RosettaError>();

/** Marks a NOT_READY error as one that goes away by itself (loading), so its 503 says when to retry. */
export function stillStarting(err: RosettaError): RosettaError {
  retryable.add(err);
  return err;
}

export function errorBody(code: ErrorCode | string, message: string, requestId?: string): ErrorBody {
  return { error: { code, message, ...(requestId ? { requestId } : {}) } };
}

/**
 * The reply to a failed request: `{error: {code, message}}` with the code's status. Only what is
 * not a known client error is a 500; `log` says what to log with its stack (5xx only).
 */
export function errorReply(err: unknown, maxBytes: number, requestId: string): { status: number; body: ErrorBody; log?: string; headers?: Record<string, string> } {
  const known = isRosettaError(err) ? err : fromFramework(err, maxBytes);
  if (known) {
    return {
      status: known.status,
      body: errorBody(known.code, known.message, requestId),
      // Loading is expected and says so in its reply: not a failure worth a stack in the log.
      ...(known.status >= 500 && !retryable.has(known) ? { log: known.message } : {}),
      ...(retryable.has(known) ? { headers: RETRY_WHILE_STARTING } : {}),
    };
  }
  return { status: 500, body: errorBody('INTERNAL', 'internal error; see the server log for this request id', requestId), log: 'unhandled error' };
}

/** The last middleware: every error becomes its errorReply. */
export function errorHandler(maxBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const reply = errorReply(err, maxBytes, String(req.id ?? ''));
    if (reply.log) req.log?.error({ err }, reply.log);
    if (reply.headers) res.set(reply.headers);
    res.status(reply.status).json(reply.body);
  };
}
