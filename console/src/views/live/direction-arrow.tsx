import type { Direction } from '../../utils/passage-enums';

const DEGREES: Record<Direction, number> = { N: 0, NE: 45, E: 90, SE: 135, S: 180, SW: 225, W: 270, NW: 315 };

/**
 * An arrow pointing where the vehicle travels (north up); the words beside it say the same. The glyph
 * comes from the styles, so copying a row copies only its words.
 */
export function DirectionArrow({ direction }: { direction: Direction }) {
  return (
    <span
      className="direction-arrow"
      style={{ transform: `rotate(${DEGREES[direction] ?? 0}deg)` }}
      aria-hidden="true"
    />
  );
}
