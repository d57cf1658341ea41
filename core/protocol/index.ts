export * from './common';
export * from './errors';
export * from './auth';
export * from './nodes';
export * from './uploads';
export * from './files';
export * from './routes';
export * from './check';
