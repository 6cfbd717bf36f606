import type { FaceQualityReport, WatchlistCategory, WatchlistPerson } from '@citywatch/protocol';
import { WATCHLIST_CATEGORIES } from '@citywatch/protocol/api/faces';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { AuthImage } from '../../components/auth-image';
import { EmptyState } from '../../components/empty-state';
import { useHubApi, useSignedInUser } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { errorText } from '../../utils/error-text';
import { formatDateTime, fromDateTimeLocal } from '../../utils/format';
import { faceUploadError } from './face-upload-error';

/** The person watchlist: enrol with photos (quality shown, refusals explained), edit, disable, remove. */
export function PeopleWatchlist() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const user = useSignedInUser();
  const canEdit = user.role === 'admin';
  const [query, setQuery] = useState('');
  const list = useAsync(() => api.faces.listPeople({ limit: 200, q: query.trim() || undefined }), [api, query]);
  const [enrolling, setEnrolling] = useState(false);
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
          {list.data.items.map((person) => (
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
                <h3>{person.name}</h3>
                <p className="muted">
                  {t(`faces.categories.${person.category}`)} · {t('watchlists.priority')} {person.priority} ·{' '}
                  {person.reason}
                </p>
                <p className="small">
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
                      onClick={() => void act(() => api.faces.update(person.id, { enabled: !person.enabled }))}
                    >
                      {person.enabled ? t('admin.users.disable') : t('admin.users.enable')}
                    </button>
                    <EditPriority
                      person={person}
                      onSave={(priority) => void act(() => api.faces.update(person.id, { priority }))}
                    />
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
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EditPriority({ person, onSave }: { person: WatchlistPerson; onSave: (priority: number) => void }) {
  const { t } = useTranslation();
  return (
    <label className="field field--inline small">
      <span>{t('watchlists.priority')}</span>
      <select value={person.priority} onChange={(e) => onSave(Number(e.target.value))}>
        {[1, 2, 3].map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
    </label>
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
  const [name, setName] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [category, setCategory] = useState<WatchlistCategory>('wanted');
  const [priority, setPriority] = useState(1);
  const [reason, setReason] = useState('');
  const [validUntil, setValidUntil] = useState('');
  const [deviceIds, setDeviceIds] = useState('');
  const [photos, setPhotos] = useState<File[]>([]);
  const [error, setError] = useState<{ message: string; quality?: FaceQualityReport }>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setError({ message: t('faces.nameRequired') });
    if (!reason.trim()) return setError({ message: t('watchlists.reasonRequired') });
    if (photos.length === 0) return setError({ message: t('faces.photoRequired') });
    if (idNumber && !/^[0-9A-Za-z-]*$/.test(idNumber)) return setError({ message: t('faces.idNumberInvalid') });
    if (deviceIds.trim() && !/^[0-9]{20}(\s*,\s*[0-9]{20})*$/.test(deviceIds.trim()))
      return setError({ message: t('faces.deviceIdsInvalid') });
    const form = new FormData();
    form.append('name', name.trim());
    if (idNumber) form.append('idNumber', idNumber);
    form.append('category', category);
    form.append('priority', String(priority));
    form.append('reason', reason.trim());
    const until = fromDateTimeLocal(validUntil);
    if (until) form.append('validUntil', until);
    if (deviceIds.trim()) form.append('deviceIds', deviceIds.replace(/\s/g, ''));
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
    <form className="panel-form" onSubmit={(e) => void submit(e)} noValidate aria-label={t('faces.enrol')}>
      <div className="search-form__row">
        <label className="field">
          <span>{t('faces.name')}</span>
          <input name="name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('faces.idNumber')}</span>
          <input name="idNumber" value={idNumber} maxLength={32} onChange={(e) => setIdNumber(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('watchlists.category')}</span>
          <select name="category" value={category} onChange={(e) => setCategory(e.target.value as WatchlistCategory)}>
            {WATCHLIST_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`faces.categories.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--narrow">
          <span>{t('watchlists.priority')}</span>
          <select value={priority} onChange={(e) => setPriority(Number(e.target.value))}>
            {[1, 2, 3].map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('watchlists.reason')}</span>
          <input name="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('watchlists.validUntil')}</span>
          <input type="datetime-local" value={validUntil} onChange={(e) => setValidUntil(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('faces.deviceIds')}</span>
          <input
            value={deviceIds}
            placeholder={t('faces.deviceIdsHint')}
            onChange={(e) => setDeviceIds(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('faces.photos')}</span>
          <input
            name="photo"
            type="file"
            multiple
            accept="image/jpeg,image/png,image/webp"
            onChange={(e) => setPhotos([...(e.target.files ?? [])].slice(0, 10))}
          />
        </label>
      </div>
      {error ? (
        <div className="form-error" role="alert" data-testid="enrol-error">
          <p>{error.message}</p>
          {error.quality ? <QualityLine quality={error.quality} /> : null}
        </div>
      ) : null}
      <button type="submit" className="button button--primary" disabled={busy}>
        {busy ? t('faces.enrolling') : t('faces.enrol')}
      </button>
    </form>
  );
}
