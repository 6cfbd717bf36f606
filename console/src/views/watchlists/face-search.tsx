import type { FaceSearchResult } from '@citywatch/protocol';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { AuthImage } from '../../components/auth-image';
import { EmptyState } from '../../components/empty-state';
import { useHubApi } from '../../context/session-context';
import { errorText } from '../../utils/error-text';
import { formatDateTime, fromDateTimeLocal, toDateTimeLocal } from '../../utils/format';
import { faceUploadError } from './face-upload-error';
import { QualityLine } from './people-watchlist';

/** Search by face (以脸搜脸): upload a photo, see the most similar captures in a time window. */
export function FaceSearch() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const [photo, setPhoto] = useState<File>();
  const [from, setFrom] = useState(() => toDateTimeLocal(new Date(Date.now() - 24 * 3600_000)));
  const [to, setTo] = useState(() => toDateTimeLocal(new Date(Date.now() + 60_000)));
  const [minSimilarity, setMinSimilarity] = useState('0.9');
  const [result, setResult] = useState<FaceSearchResult>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const fromIso = fromDateTimeLocal(from);
    const toIso = fromDateTimeLocal(to);
    if (!photo) return setError(t('faces.photoRequired'));
    if (!fromIso || !toIso || fromIso >= toIso) return setError(t('checkpoints.problem.range'));
    const similarity = Number(minSimilarity);
    if (!(similarity >= -1 && similarity <= 1)) return setError(t('faces.similarityInvalid'));
    const form = new FormData();
    form.append('from', fromIso);
    form.append('to', toIso);
    form.append('minSimilarity', String(similarity));
    form.append('limit', '40');
    form.append('photo', photo);
    setBusy(true);
    setError(undefined);
    try {
      setResult(await api.faces.search(form));
    } catch (caught) {
      setError(faceUploadError(caught)?.message ?? errorText(caught, t('common.hubUnreachable')));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-label={t('watchlists.tabs.search')}>
      <form className="panel-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="search-form__row">
          <label className="field">
            <span>{t('faces.photo')}</span>
            <input
              type="file"
              accept="image/jpeg,image/png,image/webp"
              onChange={(e) => setPhoto(e.target.files?.[0])}
            />
          </label>
          <label className="field">
            <span>{t('checkpoints.from')}</span>
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field">
            <span>{t('checkpoints.to')}</span>
            <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label className="field field--narrow">
            <span>{t('faces.minSimilarity')}</span>
            <input inputMode="decimal" value={minSimilarity} onChange={(e) => setMinSimilarity(e.target.value)} />
          </label>
        </div>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t('checkpoints.searching') : t('checkpoints.search')}
        </button>
      </form>
      {result ? (
        <>
          <p className="muted">
            {t('faces.searched', { searched: result.searched, ms: Math.round(result.tookMs) })} ·{' '}
            <QualityLine quality={result.queryFace.quality} />
          </p>
          {result.hits.length === 0 ? (
            <EmptyState title={t('faces.noHits')} />
          ) : (
            <ul className="hit-grid" data-testid="face-hits">
              {result.hits.map((hit) => (
                <li key={hit.eventId}>
                  <AuthImage src={hit.thumbnailUrl} alt={hit.eventId} className="person-card__thumb" />
                  <strong className="similarity">{(hit.similarity * 100).toFixed(1)}%</strong>
                  <span className="small">{formatDateTime(hit.shotTime, locale)}</span>
                  <span className="small numeric">{hit.deviceId}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}
