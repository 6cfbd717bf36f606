import type { PassageRecord, TollgateRecord } from '@citywatch/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AuthImage } from '../../components/auth-image';
import { PlateBadge } from '../../components/plate-badge';
import { useHubApi } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { errorText } from '../../utils/error-text';
import { formatDateTime } from '../../utils/format';
import type { Direction, VehicleClass } from '../../utils/passage-enums';
import { passageImages } from '../alerts/alert-evidence';
import { DevicePlan } from '../devices/device-plan';

/** One passage with its images and every field, and the plate's trajectory on the plan and as a timeline. */
export function PassageDetail({
  passage,
  tollgates,
  onClose,
}: {
  passage: PassageRecord;
  tollgates: readonly TollgateRecord[];
  onClose: () => void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const [showTrajectory, setShowTrajectory] = useState(false);
  const full = useAsync(() => api.checkpoints.passage(passage.eventId), [api, passage.eventId]);
  const record = full.data ?? passage;
  const images = passageImages(record);
  const tollgate = tollgates.find((tg) => tg.id === record.tollgateId);
  return (
    <aside
      className="passage-detail"
      aria-labelledby="passage-detail-title"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <header className="alert-detail__header">
        <h2 id="passage-detail-title" tabIndex={-1}>
          <PlateBadge plateNo={record.plateNo} plateColor={record.plateColor} />
        </h2>
        <button type="button" className="button button--quiet" onClick={onClose} aria-label={t('common.close')}>
          ✕
        </button>
      </header>
      {images.length > 0 ? (
        <div className="evidence-images">
          {images.map((image, index) => (
            <figure key={index}>
              <AuthImage src={image.url} alt={image.label} className="evidence-image" />
              <figcaption>{image.label}</figcaption>
            </figure>
          ))}
        </div>
      ) : (
        <p className="muted">{t('checkpoints.noImages')}</p>
      )}
      <dl className="facts facts--grid">
        <div className="fact">
          <dt>{t('checkpoints.columns.passTime')}</dt>
          <dd>{formatDateTime(record.passTime, locale)}</dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.columns.tollgate')}</dt>
          <dd>{tollgate ? `${tollgate.name} (${record.tollgateId})` : record.tollgateId}</dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.columns.lane')}</dt>
          <dd>{t('live.laneNo', { laneNo: record.laneNo })}</dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.columns.direction')}</dt>
          <dd>{t(`direction.${record.direction as Direction}`)}</dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.columns.speed')}</dt>
          <dd>{t('live.speed', { speed: Math.round(record.speedKmh) })}</dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.columns.vehicle')}</dt>
          <dd>
            {t(`vehicleClass.${record.vehicleClass as VehicleClass}`)}
            {record.vehicleColor ? ` · ${t(`vehicleColor.${record.vehicleColor as 'white'}`)}` : ''}
          </dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.confidence')}</dt>
          <dd>{(record.plateConfidence * 100).toFixed(0)}%</dd>
        </div>
        <div className="fact">
          <dt>{t('alerts.fields.device')}</dt>
          <dd className="numeric">{record.deviceId}</dd>
        </div>
        <div className="fact">
          <dt>{t('checkpoints.eventId')}</dt>
          <dd className="numeric small">{record.eventId}</dd>
        </div>
      </dl>
      <button
        type="button"
        className="button"
        aria-expanded={showTrajectory}
        onClick={() => setShowTrajectory((v) => !v)}
      >
        {t('checkpoints.trajectory.show', { plate: record.plateNo })}
      </button>
      {showTrajectory ? <TrajectoryView plate={record.plateNo} tollgates={tollgates} /> : null}
    </aside>
  );
}

function TrajectoryView({ plate, tollgates }: { plate: string; tollgates: readonly TollgateRecord[] }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const trajectory = useAsync(() => api.checkpoints.trajectory({ plate, limit: 500 }), [api, plate]);
  if (trajectory.error) return <p className="form-error">{errorText(trajectory.error, t('common.loadFailed'))}</p>;
  if (!trajectory.data) return <p className="muted">{t('app.loading')}</p>;
  const points = trajectory.data.points.filter((p) => p.lat !== null && p.lon !== null) as {
    lat: number;
    lon: number;
  }[];
  const seen = new Set(trajectory.data.points.map((p) => p.tollgateId));
  return (
    <section className="detail-section" aria-label={t('checkpoints.trajectory.title')} data-testid="trajectory">
      <h3>
        {t('checkpoints.trajectory.title')} ·{' '}
        {t('checkpoints.trajectory.count', { count: trajectory.data.points.length })}
      </h3>
      <DevicePlan
        label={t('checkpoints.trajectory.title')}
        points={tollgates.map((tg) => ({
          id: tg.id,
          lat: tg.lat,
          lon: tg.lon,
          label: tg.name,
          tone: seen.has(tg.id) ? 'accent' : 'plain',
        }))}
        path={points}
      />
      <ol className="timeline">
        {trajectory.data.points.map((point) => (
          <li key={point.eventId}>
            <time dateTime={point.passTime}>{formatDateTime(point.passTime, locale)}</time>
            <span>{point.tollgateName ?? point.tollgateId}</span>
            <span className="muted">
              {t('live.laneNo', { laneNo: point.laneNo })} · {t(`direction.${point.direction as Direction}`)} ·{' '}
              {t('live.speed', { speed: Math.round(point.speedKmh) })}
            </span>
          </li>
        ))}
      </ol>
      {trajectory.data.truncated ? <p className="muted">{t('checkpoints.trajectory.truncated')}</p> : null}
    </section>
  );
}
