import type { PassageExportQuery, PassageSearchQuery, PlateMatchMode } from '@citywatch/protocol';
import { fromDateTimeLocal } from '../../utils/format';

/** What the search form holds, as typed; `toSearchQuery` turns it into the history API's query. */
export interface SearchForm {
  plate: string;
  plateMatch: PlateMatchMode | '';
  plateColor: string[];
  vehicleClass: string[];
  vehicleColor: string[];
  tollgateId: string[];
  laneNo: string;
  direction: string[];
  speedMin: string;
  speedMax: string;
  /** datetime-local values. */
  from: string;
  to: string;
  limit: number;
}

export const EMPTY_SEARCH: SearchForm = {
  plate: '',
  plateMatch: '',
  plateColor: [],
  vehicleClass: [],
  vehicleColor: [],
  tollgateId: [],
  laneNo: '',
  direction: [],
  speedMin: '',
  speedMax: '',
  from: '',
  to: '',
  limit: 50,
};

export type SearchProblem = 'laneNo' | 'speed' | 'range' | 'plate';

/** The form's own checks, before the hub's (which have the last word and whose message is shown too). */
export function checkSearch(form: SearchForm): SearchProblem[] {
  const problems: SearchProblem[] = [];
  if (form.laneNo && !/^[0-9]{1,2}(,[0-9]{1,2})*$/.test(form.laneNo.replace(/\s/g, ''))) problems.push('laneNo');
  const min = form.speedMin === '' ? undefined : Number(form.speedMin);
  const max = form.speedMax === '' ? undefined : Number(form.speedMax);
  if (
    (min !== undefined && !(min >= 0 && min <= 300)) ||
    (max !== undefined && !(max >= 0 && max <= 300)) ||
    (min !== undefined && max !== undefined && min > max)
  ) {
    problems.push('speed');
  }
  if (form.from && form.to && form.from >= form.to) problems.push('range');
  if (form.plate.length > 12) problems.push('plate');
  return problems;
}

export function toExportQuery(form: SearchForm): PassageExportQuery {
  const list = (values: string[]) => (values.length > 0 ? values.join(',') : undefined);
  return {
    plate: form.plate.trim() || undefined,
    plateMatch: form.plate.trim() && form.plateMatch ? form.plateMatch : undefined,
    plateColor: list(form.plateColor),
    vehicleClass: list(form.vehicleClass),
    vehicleColor: list(form.vehicleColor),
    tollgateId: list(form.tollgateId),
    laneNo: form.laneNo.replace(/\s/g, '') || undefined,
    direction: list(form.direction),
    speedMin: form.speedMin === '' ? undefined : Number(form.speedMin),
    speedMax: form.speedMax === '' ? undefined : Number(form.speedMax),
    from: fromDateTimeLocal(form.from),
    to: fromDateTimeLocal(form.to),
  };
}

export function toSearchQuery(form: SearchForm, cursor?: string): Partial<PassageSearchQuery> {
  return { ...toExportQuery(form), cursor, limit: form.limit };
}
