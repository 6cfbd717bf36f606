import { toDateTimeLocal } from '../../utils/format';

export type ValidityProblem = 'watchlists.validFromRequired' | 'watchlists.validRange' | 'watchlists.validUntilPast';

/** A stored validity time as the form's datetime-local value ('' when there is none). */
export const localTime = (iso: string | null): string => (iso ? toDateTimeLocal(new Date(iso)) : '');

/**
 * The checks a validity window gets in the person and hotlist forms: an edit needs a start (the record has
 * one; a new one may leave it to the hub, which starts it now), and the end must come after the start, or
 * after now without one.
 */
export function validityProblems(
  validFrom: string,
  validUntil: string,
  editing: boolean,
  now: number,
): { validFrom?: ValidityProblem; validUntil?: ValidityProblem } {
  const problems: { validFrom?: ValidityProblem; validUntil?: ValidityProblem } = {};
  const from = validFrom ? new Date(validFrom).getTime() : undefined;
  const until = validUntil ? new Date(validUntil).getTime() : undefined;
  if (editing && from === undefined) problems.validFrom = 'watchlists.validFromRequired';
  if (until !== undefined && from !== undefined && until <= from) problems.validUntil = 'watchlists.validRange';
  else if (until !== undefined && from === undefined && until <= now) problems.validUntil = 'watchlists.validUntilPast';
  return problems;
}
