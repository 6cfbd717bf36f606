/** The live list's columns, in order; header and rows share them through `.passage-list`'s grid template. */
export const PASSAGE_COLUMNS = ['time', 'plate', 'tollgate', 'lane', 'direction', 'vehicleClass', 'speed'] as const;
