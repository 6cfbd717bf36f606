import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { MultiToggle } from '../checkpoints/multi-select';
import type { ScopeChoice } from './person-form';

/** Watchlist priorities and the alert severity a hit raises: 1 critical, 2 major, 3 minor. */
export const PRIORITY_LEVELS = [
  [1, 'critical'],
  [2, 'major'],
  [3, 'minor'],
] as const;

/** What a control inside a `Field` needs to be labelled and to say what is wrong with it. */
export interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** A labelled form field whose problem, when it has one, is shown under it and read with it. */
export function Field({
  label,
  problem,
  className,
  children,
}: {
  label: string;
  problem?: string;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const problemId = `${id}-problem`;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-invalid': problem ? true : undefined,
        'aria-describedby': problem ? problemId : undefined,
      })}
      {problem ? (
        <span id={problemId} className="field__problem">
          {problem}
        </span>
      ) : null}
    </div>
  );
}

/** Priority of a watchlist person or hotlist entry (the severity of the alert a hit raises). */
export function PriorityField({ value, onChange }: { value: number; onChange: (priority: number) => void }) {
  const { t } = useTranslation();
  return (
    <Field label={t('watchlists.priority')} className="field--narrow">
      {(control) => (
        <select {...control} name="priority" value={value} onChange={(e) => onChange(Number(e.target.value))}>
          {PRIORITY_LEVELS.map(([p, level]) => (
            <option key={p} value={p}>
              {t(`watchlists.priorities.${level}`)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Why a person or plate is listed (a case reference). */
export function ReasonField({
  value,
  problem,
  onChange,
}: {
  value: string;
  problem?: string;
  onChange: (reason: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <Field label={t('watchlists.reason')} problem={problem} className="field--wide">
      {(control) => (
        <input
          {...control}
          name="reason"
          value={value}
          maxLength={500}
          required
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** The validity window, from and until, as local date and time. */
export function ValidityFields({
  from,
  until,
  problems,
  onChange,
}: {
  from: string;
  until: string;
  problems: { from?: string; until?: string };
  onChange: (field: 'validFrom' | 'validUntil', value: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t('watchlists.validFrom')} problem={problems.from}>
        {(control) => (
          <input
            {...control}
            name="validFrom"
            type="datetime-local"
            value={from}
            onChange={(e) => onChange('validFrom', e.target.value)}
          />
        )}
      </Field>
      <Field label={t('watchlists.validUntil')} problem={problems.until}>
        {(control) => (
          <input
            {...control}
            name="validUntil"
            type="datetime-local"
            value={until}
            onChange={(e) => onChange('validUntil', e.target.value)}
          />
        )}
      </Field>
    </>
  );
}

/**
 * Where an entry applies: everywhere (the default), or at the places chosen from `options`. Places the entry
 * names that are not among the options (since removed) are listed by id, so they can be taken off.
 */
export function ScopeField({
  legend,
  allLabel,
  chosenLabel,
  scope,
  chosen,
  options,
  loading,
  loadError,
  problem,
  onChange,
}: {
  legend: string;
  allLabel: string;
  chosenLabel: string;
  scope: ScopeChoice;
  chosen: readonly string[];
  options: readonly { value: string; label: string }[];
  loading: boolean;
  loadError?: string;
  problem?: string;
  onChange: (scope: ScopeChoice, chosen: string[]) => void;
}) {
  const { t } = useTranslation();
  const name = useId();
  const problemId = `${name}-problem`;
  const known = new Set(options.map((o) => o.value));
  const all = [...options, ...chosen.filter((id) => !known.has(id)).map((id) => ({ value: id, label: id }))];
  return (
    <fieldset className="scope-field" aria-describedby={problem ? problemId : undefined}>
      <legend>{legend}</legend>
      <div className="button-row">
        <label className="field--check">
          <input
            type="radio"
            name={name}
            value="all"
            checked={scope === 'all'}
            onChange={() => onChange('all', [...chosen])}
          />
          <span>{allLabel}</span>
        </label>
        <label className="field--check">
          <input
            type="radio"
            name={name}
            value="chosen"
            checked={scope === 'chosen'}
            aria-invalid={problem ? true : undefined}
            onChange={() => onChange('chosen', [...chosen])}
          />
          <span>{chosenLabel}</span>
        </label>
      </div>
      {scope === 'chosen' ? (
        loading && options.length === 0 ? (
          <p className="muted small" role="status">
            {t('app.loading')}
          </p>
        ) : loadError ? (
          <p className="form-error small">{loadError}</p>
        ) : all.length === 0 ? (
          <p className="muted small">{t('watchlists.noPlaces')}</p>
        ) : (
          <MultiToggle label={chosenLabel} options={all} value={chosen} onChange={(next) => onChange('chosen', next)} />
        )
      ) : null}
      {problem ? (
        <span id={problemId} className="field__problem">
          {problem}
        </span>
      ) : null}
    </fieldset>
  );
}

/**
 * Moves focus into a form when it opens (its first field) and, when it closes, back to what had focus before
 * (the Edit button), so a keyboard user never lands at the top of the page.
 */
export function useFormFocus(form: RefObject<HTMLFormElement | null>): void {
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    opener.current = document.activeElement;
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
    return () => {
      const back = opener.current;
      // Only when focus fell out with the form (to the body), and the button is still there (same key).
      requestAnimationFrame(() => {
        const active = document.activeElement;
        if (active && active !== document.body && active.isConnected) return;
        if (back instanceof HTMLElement && back.isConnected) back.focus();
      });
    };
  }, [form]);
}

/** Focuses the first field the form's own checks refused (after a submit). */
export function focusFirstProblem(form: HTMLFormElement | null): void {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}
