// The demo collection: built from npm-installed open data on the first `npm start`.
export { buildDemoCollection, hasCollection, composedExamples, DEMO_MEDIA_DIR, DEMO_DONE_FILE } from './collection.ts';
export type { DemoCollectionEvent, DemoCollectionOptions, DemoCollectionReport } from './collection.ts';
