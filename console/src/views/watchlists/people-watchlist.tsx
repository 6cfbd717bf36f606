import type { FaceQualityReport, WatchlistPerson } from '@citywatch/protocol';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { AuthImage } from '../../components/auth-image';
import { EmptyState } from '../../components/empty-state';
import { useHubApi, useSignedInUser } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { errorText } from '../../utils/error-text';
import { formatDateTime } from '../../utils/format';
import { withSaved } from '../../utils/saved-records';
import { faceUploadError } from './face-upload-error';
import { focusFirstProblem } from './form-parts';
import { PersonEditForm, PersonFields } from './person-fields';
import { EMPTY_PERSON_FORM, appendPersonFields, checkPersonForm } from './person-form';

/** The person watchlist: enrol with photos (quality shown, refusals explained), edit every field, disable, remove. */
export function PeopleWatchlist() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const user = useSignedInUser();
  const canEdit = user.role === 'admin';
  const [query, setQuery] = useState('');
  const list = useAsync(() => api.faces.listPeople({ limit: 200, q: query.trim() || undefined }), [api, query]);
  const [enrolling, setEnrolling] = useState(false);
  const [editingId, setEditingId] = useState<string>();
  const [saved, setSaved] = useState<ReadonlyMap<string, WatchlistPerson>>(new Map());
  const [error, setError] = useState<string>();

  async function act(action: () => Promise<unknown>) {
    setError(undefined);
    try {
      await action();
      list.reload();
    } catch (caught) {
      setError(faceUploadError(caught)?.message ?? errorText(caught, t('common.hubUnreachable')));
    }
  }

  return (
    <section aria-label={t('watchlists.tabs.people')}>
      <div className="button-row">
        {canEdit ? (
          <button
            type="button"
            className="button button--primary"
            onClick={() => setEnrolling((v) => !v)}
            aria-expanded={enrolling}
          >
            {t('faces.enrol')}
          </button>
        ) : null}
        <label className="field field--inline">
          <span>{t('devicesPage.search')}</span>
          <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder={t('faces.searchPlaceholder')} />
        </label>
      </div>
      {enrolling ? (
        <EnrolForm
          onDone={() => {
            setEnrolling(false);
            list.reload();
          }}
        />
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {list.error ? (
        <EmptyState title={t('common.loadFailed')} hint={errorText(list.error, t('common.hubUnreachable'))} />
      ) : !list.data ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.data.items.length === 0 ? (
        <EmptyState title={t('faces.empty')} hint={canEdit ? t('faces.emptyHint') : undefined} />
      ) : (
        <ul className="person-list" data-testid="people">
          {withSaved(list.data.items, saved).map((person) => (
            <li key={person.id} className="person-card" data-person-id={person.id} data-active={person.active}>
              <div className="person-card__photos">
                {person.photos.map((photo) => (
                  <figure key={photo.id}>
                    <AuthImage src={photo.thumbnailUrl} alt={person.name} className="person-card__thumb" />
                    <figcaption className="small">
                      <QualityLine quality={photo.quality} />
                    </figcaption>
                    {canEdit && person.photos.length > 1 ? (
                      <button
                        type="button"
                        className="button button--quiet small"
                        onClick={() => void act(() => api.faces.removePhoto(person.id, photo.id))}
                      >
                        {t('common.remove')}
                      </button>
                    ) : null}
                  </figure>
                ))}
              </div>
              <div className="person-card__body">
                <h3 data-testid="person-name">{person.name}</h3>
                <p className="muted" data-testid="person-summary">
                  {t(`faces.categories.${person.category}`)} · {t('watchlists.priority')} {person.priority} ·{' '}
                  {person.reason}
                  {person.idNumber ? ` · ${t('faces.idNumber')} ${person.idNumber}` : ''}
                </p>
                <p className="small" data-testid="person-validity">
                  <span className={person.active ? 'text-ok' : 'muted'}>
                    {person.active
                      ? t('watchlists.active')
                      : person.enabled
                        ? t('watchlists.inactive')
                        : t('faces.disabled')}
                  </span>{' '}
                  · {formatDateTime(person.validFrom, locale)} –{' '}
                  {person.validUntil ? formatDateTime(person.validUntil, locale) : t('watchlists.openEnded')}
                  {' · '}
                  {person.deviceIds.length === 0
                    ? t('faces.allCheckpoints')
                    : t('faces.someCheckpoints', { count: person.deviceIds.length })}
                </p>
                {canEdit ? (
                  <div className="button-row">
                    <button
                      type="button"
                      className="button"
                      aria-expanded={editingId === person.id}
                      onClick={() => setEditingId(editingId === person.id ? undefined : person.id)}
                    >
                      {t('common.edit')}
                    </button>
                    <button
                      type="button"
                      className="button"
                      onClick={() => void act(() => api.faces.update(person.id, { enabled: !person.enabled }))}
                    >
                      {person.enabled ? t('admin.users.disable') : t('admin.users.enable')}
                    </button>
                    <label className="button">
                      {t('faces.addPhoto')}
                      <input
                        type="file"
                        accept="image/jpeg,image/png,image/webp"
                        className="visually-hidden"
                        onChange={(e) => {
                          const file = e.target.files?.[0];
                          e.target.value = '';
                          if (!file) return;
                          const form = new FormData();
                          form.append('photo', file);
                          void act(() => api.faces.addPhotos(person.id, form));
                        }}
                      />
                    </label>
                    <button
                      type="button"
                      className="button button--danger"
                      onClick={() =>
                        window.confirm(t('faces.confirmRemove', { name: person.name })) &&
                        void act(() => api.faces.remove(person.id))
                      }
                    >
                      {t('common.remove')}
                    </button>
                  </div>
                ) : null}
                {editingId === person.id ? (
                  <PersonEditForm
                    person={person}
                    onSaved={(copy) => {
                      setSaved((map) => new Map(map).set(copy.id, copy));
                      setEditingId(undefined);
                      list.reload();
                    }}
                    onCancel={() => setEditingId(undefined)}
                  />
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function QualityLine({ quality }: { quality: FaceQualityReport }) {
  const { t } = useTranslation();
  return (
    <span data-testid="photo-quality">
      {t('faces.quality', {
        size: Math.round(quality.faceSize),
        score: quality.detectionScore.toFixed(2),
        sharpness: quality.sharpness === undefined ? '—' : Math.round(quality.sharpness),
      })}
      {quality.reasons.length > 0 ? ` · ${quality.reasons.join(', ')}` : ''}
    </span>
  );
}

function EnrolForm({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const api = useHubApi();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState(EMPTY_PERSON_FORM);
  const [checked, setChecked] = useState(false);
  const [photos, setPhotos] = useState<File[]>([]);
  const [error, setError] = useState<{ message: string; quality?: FaceQualityReport }>();
  const [busy, setBusy] = useState(false);
  const problems = checked ? checkPersonForm(values, false) : {};
  const photoProblem = checked && photos.length === 0;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setChecked(true);
    if (Object.keys(checkPersonForm(values, false)).length > 0 || photos.length === 0) {
      return focusFirstProblem(formRef.current);
    }
    const form = new FormData();
    appendPersonFields(form, values);
    for (const photo of photos) form.append('photo', photo);
    setBusy(true);
    setError(undefined);
    try {
      await api.faces.enrol(form);
      onDone();
    } catch (caught) {
      const refusal = faceUploadError(caught);
      setError({
        message: refusal?.message ?? errorText(caught, t('common.hubUnreachable')),
        quality: refusal?.quality,
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      ref={formRef}
      className="panel-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={t('faces.enrol')}
      aria-busy={busy}
    >
      <PersonFields values={values} problems={problems} onChange={setValues} />
      <label className="field">
        <span>{t('faces.photos')}</span>
        <input
          name="photo"
          type="file"
          multiple
          accept="image/jpeg,image/png,image/webp"
          aria-invalid={photoProblem || undefined}
          onChange={(e) => setPhotos([...(e.target.files ?? [])].slice(0, 10))}
        />
        {photoProblem ? <span className="field__problem">{t('faces.photoRequired')}</span> : null}
      </label>
      {error ? (
        <div className="form-error" role="alert" data-testid="enrol-error">
          <p>{error.message}</p>
          {error.quality ? <QualityLine quality={error.quality} /> : null}
        </div>
      ) : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t('faces.enrolling') : t('faces.enrol')}
        </button>
      </div>
    </form>
  );
}
