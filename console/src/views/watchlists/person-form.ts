import type { WatchlistCategory, WatchlistPerson, WatchlistPersonPatch } from '@citywatch/protocol';
import { fromDateTimeLocal } from '../../utils/format';
import { localTime, validityProblems } from './validity';

/** Where a watchlist entry applies: everywhere it can, or only where chosen. */
export type ScopeChoice = 'all' | 'chosen';

/** What the person form holds, as typed (datetime-local strings for the validity window). */
export interface PersonFormValues {
  name: string;
  idNumber: string;
  category: WatchlistCategory;
  priority: number;
  reason: string;
  validFrom: string;
  validUntil: string;
  scope: ScopeChoice;
  /** The face checkpoints chosen (used when `scope` is `chosen`). */
  deviceIds: string[];
  enabled: boolean;
}

export type PersonField = 'name' | 'idNumber' | 'reason' | 'validFrom' | 'validUntil' | 'deviceIds';

/** The message key of each problem the form finds before sending (the hub has the last word). */
export type PersonProblem =
  | 'faces.nameRequired'
  | 'faces.idNumberInvalid'
  | 'watchlists.reasonRequired'
  | 'watchlists.validFromRequired'
  | 'watchlists.validRange'
  | 'watchlists.validUntilPast'
  | 'faces.scopeEmpty';

export type PersonProblems = Partial<Record<PersonField, PersonProblem>>;

export const EMPTY_PERSON_FORM: PersonFormValues = {
  name: '',
  idNumber: '',
  category: 'wanted',
  priority: 1,
  reason: '',
  validFrom: '',
  validUntil: '',
  scope: 'all',
  deviceIds: [],
  enabled: true,
};

/** The form filled with a person's fields, to edit them. */
export function personFormFrom(person: WatchlistPerson): PersonFormValues {
  return {
    name: person.name,
    idNumber: person.idNumber ?? '',
    category: person.category,
    priority: person.priority,
    reason: person.reason,
    validFrom: localTime(person.validFrom),
    validUntil: localTime(person.validUntil),
    scope: person.deviceIds.length > 0 ? 'chosen' : 'all',
    deviceIds: [...person.deviceIds],
    enabled: person.enabled,
  };
}

/**
 * The form's own checks, field by field. An edit needs a start of validity (the person has one); an enrolment
 * may leave it empty (the hub starts it now). The end must come after the start, or after now without one.
 */
export function checkPersonForm(values: PersonFormValues, editing: boolean, now = Date.now()): PersonProblems {
  const problems: PersonProblems = {};
  if (!values.name.trim()) problems.name = 'faces.nameRequired';
  if (!/^[0-9A-Za-z-]*$/.test(values.idNumber.trim())) problems.idNumber = 'faces.idNumberInvalid';
  if (!values.reason.trim()) problems.reason = 'watchlists.reasonRequired';
  Object.assign(problems, validityProblems(values.validFrom, values.validUntil, editing, now));
  if (values.scope === 'chosen' && values.deviceIds.length === 0) problems.deviceIds = 'faces.scopeEmpty';
  return problems;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * The PATCH that turns `person` into what the form holds: only the fields that changed, so the audit log says
 * what was edited, and a validity time left alone keeps its seconds. Clearing the end makes it open-ended
 * (`validUntil: null`), clearing the ID number removes it.
 */
export function personPatch(person: WatchlistPerson, values: PersonFormValues): WatchlistPersonPatch {
  const patch: WatchlistPersonPatch = {};
  const name = values.name.trim();
  const idNumber = values.idNumber.trim();
  const reason = values.reason.trim();
  if (name !== person.name) patch.name = name;
  if (idNumber !== (person.idNumber ?? '')) patch.idNumber = idNumber || null;
  if (values.category !== person.category) patch.category = values.category;
  if (values.priority !== person.priority) patch.priority = values.priority;
  if (reason !== person.reason) patch.reason = reason;
  if (values.validFrom !== localTime(person.validFrom)) patch.validFrom = fromDateTimeLocal(values.validFrom);
  if (values.validUntil !== localTime(person.validUntil)) {
    patch.validUntil = values.validUntil ? fromDateTimeLocal(values.validUntil) : null;
  }
  const deviceIds = values.scope === 'all' ? [] : values.deviceIds;
  if (!sameList(deviceIds, person.deviceIds)) patch.deviceIds = deviceIds;
  if (values.enabled !== person.enabled) patch.enabled = values.enabled;
  return patch;
}

/** The text parts of an enrolment upload (the photos are added beside them). */
export function appendPersonFields(form: FormData, values: PersonFormValues): void {
  form.append('name', values.name.trim());
  if (values.idNumber.trim()) form.append('idNumber', values.idNumber.trim());
  form.append('category', values.category);
  form.append('priority', String(values.priority));
  form.append('reason', values.reason.trim());
  const from = fromDateTimeLocal(values.validFrom);
  if (from) form.append('validFrom', from);
  const until = fromDateTimeLocal(values.validUntil);
  if (until) form.append('validUntil', until);
  if (values.scope === 'chosen' && values.deviceIds.length > 0) form.append('deviceIds', values.deviceIds.join(','));
  form.append('enabled', String(values.enabled));
}
