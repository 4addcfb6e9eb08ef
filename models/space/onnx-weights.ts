/**
 * Reads a head's weights back from its ONNX file: the exported head is the one source of
 * truth for the parameters, and the TypeScript projector is built from exactly those bytes.
 */
import onnxProto from 'onnx-proto';
import { RosettaError } from '../errors.ts';
import { checkHead, type HeadParams } from '../align/index.ts';

// onnx-proto is CommonJS and Node's ESM loader cannot see its named export, hence the default import.
const { onnx } = onnxProto;

export interface OnnxTensor {
  dims: number[];
  data: Float32Array;
}

/**
 * The float initializers and metadata of an ONNX model.
 *
 * @example readInitializers(bytes).tensors.get('W') // { dims: [384, 256], data: Float32Array(98304) }
 */
export function readInitializers(bytes: Uint8Array, name = 'model'): { tensors: Map<string, OnnxTensor>; metadata: Record<string, string> } {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', `${name} is not an ONNX model: ${(err as Error).message}`, { cause: err });
  }
  const tensors = new Map<string, OnnxTensor>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.name) continue;
    const dims = (t.dims ?? []).map((d) => Number(d));
    const count = dims.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (t.rawData && t.rawData.length > 0) {
      // Copy: rawData is a view into the file buffer at an offset that need not be 4-aligned.
      const copy = new Uint8Array(t.rawData);
      data = new Float32Array(copy.buffer, 0, copy.byteLength >> 2);
    } else data = Float32Array.from(t.floatData ?? []);
    if (data.length !== count) throw new RosettaError('MODEL_INVALID', `${name}: initializer ${t.name} has ${data.length} values for dims [${dims}]`);
    tensors.set(t.name, { dims, data });
  }
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  return { tensors, metadata };
}

/**
 * A head's parameters from its exported ONNX file (`exportHead`); a bag head also needs its
 * hashed id table, which the file does not hold.
 *
 * @example headFromOnnx(await readFile('image.onnx')) // { kind: 'dense', inDim: 384, dim: 256, mean, W, b }
 */
export function headFromOnnx(bytes: Uint8Array, ids?: Uint32Array, name = 'head'): HeadParams {
  const { tensors, metadata } = readInitializers(bytes, name);
  const get = (key: string): OnnxTensor => {
    const t = tensors.get(key);
    if (!t) throw new RosettaError('MODEL_INVALID', `${name} has no initializer '${key}' (it has: ${[...tensors.keys()].join(', ')})`);
    return t;
  };
  let head: HeadParams;
  if (metadata['rosetta.head'] === 'bag') {
    const E = get('E');
    if (!ids) throw new RosettaError('MODEL_INVALID', `${name} is a text bag head; its id table is missing`);
    if (E.dims[0] !== ids.length) throw new RosettaError('MODEL_INVALID', `${name} has ${E.dims[0]} rows but its id table has ${ids.length} ids`);
    head = { kind: 'bag', dim: E.dims[1], ids, E: E.data };
  } else if (metadata['rosetta.head'] === 'dense') {
    const [mean, W, b] = [get('mean'), get('W'), get('b')];
    head = { kind: 'dense', inDim: W.dims[0], dim: W.dims[1], mean: mean.data, W: W.data, b: b.data };
    if (tensors.has('W1')) {
      const [W1, b1, W2] = [get('W1'), get('b1'), get('W2')];
      head.mlp = { hidden: W1.dims[1], W1: W1.data, b1: b1.data, W2: W2.data };
    }
  } else {
    throw new RosettaError('MODEL_INVALID', `${name} is not a Rosetta head (metadata rosetta.head is '${metadata['rosetta.head'] ?? ''}')`);
  }
  try {
    checkHead(head, name);
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', (err as Error).message, { cause: err });
  }
  return head;
}
