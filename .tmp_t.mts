import { onnx } from 'onnx-proto';
console.log(typeof onnx, typeof onnx.ModelProto, onnx.TensorProto.DataType.FLOAT);
