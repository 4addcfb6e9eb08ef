// The Keras functional-model JSON (as saved by Keras 2.x and read by TF.js) and walks over it.
import { RosettaError } from '../errors.ts';

/** `[layerName, nodeIndex, tensorIndex, kwargs]`: one input of a layer call. */
export type InboundRef = [string, number, number, Record<string, unknown>?];

export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** One entry per call of the layer; each lists that call's inputs. */
  inbound_nodes: InboundRef[][];
}

export interface KerasModelTopology {
  keras_version?: string;
  backend?: string;
  model_config: {
    class_name: string;
    config: {
      name: string;
      layers: KerasLayer[];
      input_layers: [string, number, number][];
      output_layers: [string, number, number][];
    };
  };
}

/** The functional model's layers by name, with a check that the JSON has the shape we read. */
export function layersOf(topology: KerasModelTopology): Map<string, KerasLayer> {
  const config = topology?.model_config?.config;
  if (!config || !Array.isArray(config.layers)) {
    throw new RosettaError('MODEL_INVALID', 'Keras topology has no model_config.config.layers');
  }
  const cls = topology.model_config.class_name;
  if (cls !== 'Model' && cls !== 'Functional') {
    throw new RosettaError('MODEL_INVALID', `Keras model class '${cls}' is not supported; expected a functional Model`);
  }
  const byName = new Map<string, KerasLayer>();
  for (const layer of config.layers) {
    if (layer.inbound_nodes.length > 1) {
      throw new RosettaError('MODEL_INVALID', `layer '${layer.name}' is called ${layer.inbound_nodes.length} times; shared layers are not supported`);
    }
    byName.set(layer.name, layer);
  }
  return byName;
}

export function inputsOf(layer: KerasLayer): string[] {
  const call = layer.inbound_nodes[0] ?? [];
  return call.map(([name, nodeIndex, tensorIndex]) => {
    if (nodeIndex !== 0 || tensorIndex !== 0) {
      throw new RosettaError('MODEL_INVALID', `layer '${layer.name}' reads output ${tensorIndex} of call ${nodeIndex} of '${name}'; only single-output layers are supported`);
    }
    return name;
  });
}

/**
 * The layers needed to compute `targets`, inputs first (a topological order that ignores the
 * rest of the model, so converting up to an early layer skips the head entirely).
 *
 * @example
 * layersNeededFor(layers, ['block_1_add']).map((l) => l.name) // ['input_1', 'Conv1_pad', ..., 'block_1_add']
 */
export function layersNeededFor(layers: Map<string, KerasLayer>, targets: readonly string[]): KerasLayer[] {
  const order: KerasLayer[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, from: string): void => {
    const layer = layers.get(name);
    if (!layer) {
      throw new RosettaError('INVALID_ARGUMENT', `${from} names layer '${name}', which the model does not have`);
    }
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new RosettaError('MODEL_INVALID', `Keras graph has a cycle through '${name}'`);
    state.set(name, 'visiting');
    for (const input of inputsOf(layer)) visit(input, `layer '${name}'`);
    state.set(name, 'done');
    order.push(layer);
  };
  for (const t of targets) visit(t, 'the requested outputs');
  return order;
}
