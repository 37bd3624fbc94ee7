export * from './users.js';
export * from './activity.js';
