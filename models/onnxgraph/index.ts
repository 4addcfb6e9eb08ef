export { GraphBuilder, float, floats } from './builder.ts';
export type { AttrValue, Dim, ElemType, FloatAttr, FloatsAttr, GraphOptions, TensorData } from './builder.ts';
