// The browser bundle's entry: what the page imports from /openfeature.js (see serve.mjs).
export { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
export { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
