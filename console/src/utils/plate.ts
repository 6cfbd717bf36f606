import type { LivePassage } from '@citywatch/protocol';

type PlateNumber = LivePassage['plateNo'];

/** What a checkpoint sends for a vehicle without a readable plate, and the message key that names it. */
const UNREADABLE_PLATE_KEYS = {
  无牌: 'noPlate',
  未识别: 'unrecognised',
} as const;

export type UnreadablePlateKey = (typeof UNREADABLE_PLATE_KEYS)[keyof typeof UNREADABLE_PLATE_KEYS];

/** The message key for an unreadable plate, or undefined for a real plate number. */
export function unreadablePlateKey(plateNo: PlateNumber): UnreadablePlateKey | undefined {
  return Object.hasOwn(UNREADABLE_PLATE_KEYS, plateNo)
    ? UNREADABLE_PLATE_KEYS[plateNo as keyof typeof UNREADABLE_PLATE_KEYS]
    : undefined;
}

/** Writes a plate the way it is printed: province and office letter, a dot, then the serial (黑A·12345). */
export function formatPlateNumber(plateNo: string): string {
  return plateNo.length > 2 ? `${plateNo.slice(0, 2)}·${plateNo.slice(2)}` : plateNo;
}
