export * from './users.js';
export * from './activity.js';
export * from './programs.js';
export * from './partners.js';
export * from './agreements.js';
export * from './compliance.js';
