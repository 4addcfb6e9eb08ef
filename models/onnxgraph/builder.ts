// Builds ONNX graphs in memory. We write graphs by hand (the Keras converter, later a training
// step) because no JS library emits ONNX; onnx-proto gives us the protobuf types and encoder.
import onnxProto from 'onnx-proto';
import { RosettaError } from '../errors.ts';

// onnx-proto is CommonJS and Node's ESM loader cannot see its named export, hence the default import.
const { onnx } = onnxProto;

export type ElemType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';
/** A dimension: a fixed size, or a symbolic name such as 'N' for a dynamic batch. */
export type Dim = number | string;
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** An attribute value. Plain numbers are INT and number[] INTS; wrap with `float`/`floats` for FLOAT(S). */
export type AttrValue = number | number[] | string | string[] | FloatAttr | FloatsAttr;
export interface FloatAttr {
  kind: 'float';
  value: number;
}
export interface FloatsAttr {
  kind: 'floats';
  value: number[];
}
export const float = (value: number): FloatAttr => ({ kind: 'float', value });
export const floats = (value: number[]): FloatsAttr => ({ kind: 'floats', value });

export interface GraphOptions {
  /** Default-domain opset (17 unless given; onnxruntime 1.30 also runs newer ones). */
  opset?: number;
  /** Extra operator domains, e.g. `{ 'com.microsoft': 1 }`. */
  domains?: Record<string, number>;
  producer?: string;
  /** Written into the model's metadata_props (e.g. the converter version and source hash). */
  metadata?: Record<string, string>;
}

const elemTypes: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

// ONNX IR version that goes with each opset (onnx/helper.py VERSION_TABLE); older runtimes
// refuse a model whose IR version is newer than they know.
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/**
 * An ONNX graph under construction: declare inputs, initializers and nodes in order, then
 * `serialize()`. Node outputs get unique names unless given; every node input must already exist.
 *
 * @example
 * const g = new GraphBuilder('tiny');
 * const x = g.input('x', 'float32', ['N', 3]);
 * const w = g.initializer('w', new Float32Array(6), [3, 2]);
 * g.output(g.op('Relu', [g.op('MatMul', [x, w])]), 'float32', ['N', 2], 'y');
 * const bytes = g.serialize(); // Uint8Array, loadable by onnxruntime
 */
export class GraphBuilder {
  readonly opset: number;
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly defined = new Set<string>();
  private readonly used = new Set<string>();
  // Node names live apart from value names, so a node may share its output's name.
  private readonly nodeNames = new Set<string>();
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly options: GraphOptions = {},
  ) {
    this.opset = options.opset ?? 17;
    if (!Number.isInteger(this.opset) || this.opset < 13) {
      throw new RosettaError('INVALID_ARGUMENT', `opset must be an integer >= 13; got ${options.opset}`);
    }
  }

  /** A name not used yet in this graph, starting with `prefix`. */
  fresh(prefix: string): string {
    return this.unique(prefix, this.used);
  }

  has(name: string): boolean {
    return this.defined.has(name);
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.define(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Marks an existing value as a graph output; with `as`, first copies it under that name. */
  output(value: string, type: ElemType, dims?: readonly Dim[], as?: string): string {
    this.require(value, 'output');
    let name = value;
    if (as !== undefined && as !== value) name = this.node('Identity', [value], [as])[0];
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A constant tensor stored in the model. `name` is made unique if taken. */
  initializer(name: string, data: TensorData, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `initializer '${name}' has ${data.length} values but dims [${dims.join(', ')}] need ${count}`,
      );
    }
    const unique = this.fresh(name);
    this.define(unique);
    this.initializers.push({
      name: unique,
      dims: [...dims],
      dataType: elemTypes[elemTypeOf(data)],
      // Raw little-endian bytes: one code path for every element type, and the compact encoding.
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
    });
    return unique;
  }

  /** Float32 constant; a scalar when `dims` is omitted and one value is given. */
  floats(name: string, values: readonly number[] | Float32Array, dims?: readonly number[]): string {
    const data = Float32Array.from(values);
    return this.initializer(name, data, dims ?? (data.length === 1 ? [] : [data.length]));
  }

  /** Int64 constant (shapes, axes, pads); a 1-D tensor unless `dims` says otherwise. */
  int64s(name: string, values: readonly number[], dims?: readonly number[]): string {
    return this.initializer(name, BigInt64Array.from(values.map(BigInt)), dims ?? [values.length]);
  }

  /**
   * Appends a node. `outputs` is a list of names, or a count of fresh names. Returns the output names.
   * An empty string in `inputs` skips an optional input, as ONNX specifies.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number = 1,
    attrs: Record<string, AttrValue> = {},
    opts: { name?: string; domain?: string } = {},
  ): string[] {
    for (const input of inputs) if (input !== '') this.require(input, `input of ${opType}`);
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(`${opts.name ?? opType}_out`))
        : outputs.map((o) => (this.used.has(o) ? this.fail(`value '${o}' is already defined`) : this.fresh(o)));
    for (const o of outNames) this.define(o);
    this.nodes.push({
      opType,
      name: this.unique(opts.name ?? opType, this.nodeNames),
      domain: opts.domain ?? '',
      input: [...inputs],
      output: outNames,
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
    return outNames;
  }

  /** `node` for the common single-output case. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.node(opType, inputs, 1, attrs, name === undefined ? {} : { name })[0];
  }

  toModel(): onnxProto.onnx.ModelProto {
    if (this.outputs.length === 0) this.fail('graph has no outputs');
    const opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [{ domain: '', version: this.opset }];
    for (const [domain, version] of Object.entries(this.options.domains ?? {})) opsetImport.push({ domain, version });
    return onnx.ModelProto.create({
      irVersion: irVersionFor(this.opset),
      opsetImport,
      producerName: this.options.producer ?? 'rosetta',
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
      metadataProps: Object.entries(this.options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  serialize(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }

  private unique(prefix: string, taken: Set<string>): string {
    let name = prefix;
    while (taken.has(name)) name = `${prefix}_${++this.counter}`;
    taken.add(name);
    return name;
  }

  private define(name: string): void {
    if (this.defined.has(name)) this.fail(`value '${name}' is already defined`);
    this.defined.add(name);
    this.used.add(name);
  }

  private require(name: string, role: string): void {
    if (!this.defined.has(name)) this.fail(`${role} '${name}' is not defined yet`);
  }

  private fail(message: string): never {
    throw new RosettaError('INVALID_ARGUMENT', `ONNX graph '${this.name}': ${message}`);
  }
}

function elemTypeOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

function valueInfo(name: string, type: ElemType, dims?: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const shape = dims && {
    dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
  };
  return { name, type: { tensorType: { elemType: elemTypes[type], ...(shape ? { shape } : {}) } } };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new RosettaError('INVALID_ARGUMENT', `attribute '${name}' is ${value}; wrap non-integers with float()`);
    }
    return { name, type: T.INT, i: value };
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { name, type: T.STRINGS, strings: (value as string[]).map((v) => new TextEncoder().encode(v)) };
    }
    if (!value.every((v) => Number.isInteger(v))) {
      throw new RosettaError('INVALID_ARGUMENT', `attribute '${name}' has non-integers; wrap with floats()`);
    }
    return { name, type: T.INTS, ints: value as number[] };
  }
  if (value.kind === 'float') return { name, type: T.FLOAT, f: value.value };
  return { name, type: T.FLOATS, floats: value.value };
}
