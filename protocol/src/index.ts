export * from './device-id';
export * from './topics';
export * from './payloads/common';
export * from './payloads/device-payloads';
export * from './payloads/event-payloads';
export * from './payloads/command-payloads';
export * from './codec';
export * from './socket-events';
