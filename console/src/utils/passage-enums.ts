import type { DIRECTIONS, PLATE_COLORS, VEHICLE_CLASSES } from '@citywatch/protocol';

// The protocol's schemas infer these fields as plain strings; its value lists name the members. The hub
// validates every passage against those lists before it reaches the console.
export type PlateColor = (typeof PLATE_COLORS)[number];
export type Direction = (typeof DIRECTIONS)[number];
export type VehicleClass = (typeof VEHICLE_CLASSES)[number];
