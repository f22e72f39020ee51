import { DefaultFailureConverter } from '@temporalio/common';

// Loaded by path (DataConverter.failureConverterPath): workflows run in the worker's sandbox and
// take their failure converter from the bundle, activities and clients from this same file.
// A failure's message and stack trace can quote a journey's data, so they travel as an encoded
// payload (encrypted by the codec) rather than as the failure's clear-text message field.
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
