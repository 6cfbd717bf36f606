import type { HotlistCategory, HotlistEntry, HotlistEntryBody } from '@citywatch/protocol';
import { fromDateTimeLocal } from '../../utils/format';
import { localTime, validityProblems } from './validity';
import type { ScopeChoice } from './person-form';

/** What the hotlist entry form holds, as typed (datetime-local strings for the validity window). */
export interface HotlistFormValues {
  plate: string;
  category: HotlistCategory;
  priority: number;
  reason: string;
  validFrom: string;
  validUntil: string;
  scope: ScopeChoice;
  /** The tollgates chosen (used when `scope` is `chosen`). */
  tollgateIds: string[];
  fuzzy: boolean;
}

export type HotlistField = 'plate' | 'reason' | 'validFrom' | 'validUntil' | 'tollgateIds';

export type HotlistProblem =
  | 'watchlists.plateInvalid'
  | 'watchlists.patternTooLoose'
  | 'watchlists.reasonRequired'
  | 'watchlists.validFromRequired'
  | 'watchlists.validRange'
  | 'watchlists.validUntilPast'
  | 'watchlists.scopeEmpty';

export type HotlistProblems = Partial<Record<HotlistField, HotlistProblem>>;

export const EMPTY_HOTLIST_FORM: HotlistFormValues = {
  plate: '',
  category: 'stolen',
  priority: 1,
  reason: '',
  validFrom: '',
  validUntil: '',
  scope: 'all',
  tollgateIds: [],
  fuzzy: true,
};

export function hotlistFormFrom(entry: HotlistEntry): HotlistFormValues {
  return {
    plate: entry.plate,
    category: entry.category,
    priority: entry.priority,
    reason: entry.reason,
    validFrom: localTime(entry.validFrom),
    validUntil: localTime(entry.validUntil),
    scope: entry.tollgateIds.length > 0 ? 'chosen' : 'all',
    tollgateIds: [...entry.tollgateIds],
    fuzzy: entry.fuzzy,
  };
}

/**
 * The form's own checks, field by field: a plate of 2 to 12 characters, a pattern (`?`, `*`) with at least two
 * fixed ones, a reason, a window whose end follows its start (or now), at least one tollgate when choosing.
 * Which characters a plate may hold is the hub's to say; its message is shown.
 */
export function checkHotlistForm(values: HotlistFormValues, editing: boolean, now = Date.now()): HotlistProblems {
  const problems: HotlistProblems = {};
  const plate = [...values.plate.trim()];
  if (plate.length < 2 || plate.length > 12) problems.plate = 'watchlists.plateInvalid';
  else if (plate.some((c) => c === '?' || c === '*') && plate.filter((c) => c !== '?' && c !== '*').length < 2)
    problems.plate = 'watchlists.patternTooLoose';
  if (!values.reason.trim()) problems.reason = 'watchlists.reasonRequired';
  Object.assign(problems, validityProblems(values.validFrom, values.validUntil, editing, now));
  if (values.scope === 'chosen' && values.tollgateIds.length === 0) problems.tollgateIds = 'watchlists.scopeEmpty';
  return problems;
}

/**
 * The whole entry as the hub stores it (`POST` or `PUT` replaces every field). A validity time left alone
 * is sent as the hub gave it, seconds and all; clearing the end makes the entry open-ended.
 */
export function hotlistBody(values: HotlistFormValues, entry?: HotlistEntry): HotlistEntryBody {
  const validFrom =
    entry && values.validFrom === localTime(entry.validFrom) ? entry.validFrom : fromDateTimeLocal(values.validFrom);
  const validUntil =
    entry?.validUntil && values.validUntil === localTime(entry.validUntil)
      ? entry.validUntil
      : fromDateTimeLocal(values.validUntil);
  return {
    plate: values.plate.trim(),
    category: values.category,
    priority: values.priority,
    reason: values.reason.trim(),
    validFrom,
    validUntil,
    tollgateIds: values.scope === 'all' ? [] : [...values.tollgateIds],
    fuzzy: values.fuzzy,
  };
}
