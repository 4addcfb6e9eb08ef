export * from './recipe.ts';
export { sniffImageType, describeContent, type ImageType } from './sniff.ts';
export { decodeImage, decodePixels, type RgbImage, type RawPixels, type PixelRequest } from './decode.ts';
export { imageToPixels, imageToTensor, pixelsToTensor, rgbToPixels, rgbToTensor } from './preprocess.ts';
export { ensureImageBackbone, locateBackbone, listBackboneVariants, defaultCacheDir, type ImageBackbone, type BackboneVariant } from './backbone.ts';
