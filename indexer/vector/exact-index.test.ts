import { ExactIndex } from './exact-index.ts';
import { describeVectorIndexContract } from './vector-index.case.ts';

describeVectorIndexContract('ExactIndex', (dim) => new ExactIndex(dim));
