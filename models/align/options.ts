/**
 * `{ ...defaults, ...options }` except that an option explicitly set to undefined keeps its
 * default: callers forward optional fields (`{ dim: options.dim }`) and mean "not given".
 *
 * @example withDefaults({ dim: 256 }, { dim: undefined }) // { dim: 256 }
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as D & O;
}
