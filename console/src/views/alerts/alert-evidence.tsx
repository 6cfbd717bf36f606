import type { AlertImageLabel, AlertRecord, PassageRecord } from '@citywatch/protocol';
import { ALERT_IMAGE_LABELS } from '@citywatch/protocol/api/alerts';
import { useTranslation } from 'react-i18next';
import { AuthImage } from '../../components/auth-image';
import { PlateBadge } from '../../components/plate-badge';
import { useHubApi, useSignedInUser } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { formatDateTime } from '../../utils/format';
import { PASSAGE_READERS } from '../../utils/roles';

const PLATE_TYPES = new Set(['hotlist_vehicle', 'speeding', 'cloned_plate', 'frequent_passage']);

/** The evidence side by side: images (capture beside the enrolled photo), similarity, the plate and its passage. */
export function AlertEvidence({ alert }: { alert: AlertRecord }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const user = useSignedInUser();
  const { evidence } = alert;
  const passageId =
    PLATE_TYPES.has(alert.type) && PASSAGE_READERS.includes(user.role) ? alert.sourceEventIds.at(-1) : undefined;
  const passage = useAsync<PassageRecord | undefined>(
    () => (passageId ? api.checkpoints.passage(passageId) : Promise.resolve(undefined)),
    [api, passageId],
  );
  // Face alerts raised before the labels were settled also carried a 'capture thumbnail' (the capture again).
  const images = [
    ...(evidence.images ?? []).filter((image) => (image.label as string) !== LEGACY_THUMBNAIL),
    ...passageImages(passage.data),
  ];
  const facts = Object.entries(evidence.facts ?? {});

  return (
    <section className="detail-section" aria-labelledby="evidence-title">
      <h3 id="evidence-title">{t('alerts.evidence.title')}</h3>
      {images.length > 0 ? (
        <div className="evidence-images">
          {images.map((image, index) => (
            <figure key={`${image.url}-${index}`}>
              <AuthImage src={image.url} alt={image.label} className="evidence-image" />
              <figcaption data-label={image.label}>
                {isKnownLabel(image.label) ? t(`alerts.evidence.label.${image.label}`) : image.label}
              </figcaption>
            </figure>
          ))}
        </div>
      ) : null}
      <dl className="facts">
        {evidence.similarity !== undefined ? (
          <Fact label={t('alerts.evidence.similarity')}>
            <strong className="similarity">{(evidence.similarity * 100).toFixed(1)}%</strong>
            {evidence.rank ? ` · ${t('alerts.evidence.rank', { rank: evidence.rank })}` : null}
          </Fact>
        ) : null}
        {evidence.watchlistPersonName ? (
          <Fact label={t('alerts.evidence.person')}>{evidence.watchlistPersonName}</Fact>
        ) : null}
        {evidence.plateNo ? (
          <Fact label={t('alerts.evidence.plate')}>
            <PlateBadge plateNo={evidence.plateNo} plateColor={evidence.plateColor ?? 'other'} />
            {evidence.fuzzyDistance ? ` · ${t('alerts.evidence.fuzzy', { distance: evidence.fuzzyDistance })}` : null}
          </Fact>
        ) : null}
        {evidence.speedKmh !== undefined ? (
          <Fact label={t('alerts.evidence.speed')}>
            {t('alerts.evidence.speedOverLimit', {
              speed: Math.round(evidence.speedKmh),
              limit: evidence.speedLimitKmh ?? '—',
            })}
          </Fact>
        ) : null}
        {evidence.tollgateId ? (
          <Fact label={t('alerts.evidence.tollgate')}>
            {evidence.tollgateId}
            {evidence.laneNo ? ` · ${t('live.laneNo', { laneNo: evidence.laneNo })}` : null}
          </Fact>
        ) : null}
        {passage.data ? (
          <Fact label={t('alerts.evidence.passage')}>
            {formatDateTime(passage.data.passTime, locale)} · {passage.data.tollgateId} ·{' '}
            {t('live.laneNo', { laneNo: passage.data.laneNo })} ·{' '}
            {t('live.speed', { speed: Math.round(passage.data.speedKmh) })}
          </Fact>
        ) : null}
        {facts.map(([key, value]) => (
          <Fact key={key} label={key}>
            {String(value)}
          </Fact>
        ))}
      </dl>
      {images.length === 0 && facts.length === 0 && evidence.similarity === undefined && !evidence.plateNo ? (
        <p className="muted">{t('alerts.evidence.none')}</p>
      ) : null}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const LEGACY_THUMBNAIL = 'capture thumbnail';

/** The labels the hub gives evidence images (ALERT_IMAGE_LABELS), each with its caption; others show as they are. */
function isKnownLabel(label: string): label is AlertImageLabel {
  return (ALERT_IMAGE_LABELS as readonly string[]).includes(label);
}

/** A passage's images as the evidence shows them: inline JPEGs as data URLs, references as hub URLs. */
export function passageImages(passage: PassageRecord | undefined): { label: string; url: string }[] {
  return (passage?.images ?? []).flatMap((image) => {
    if (image.jpegBase64) return [{ label: image.kind, url: `data:image/jpeg;base64,${image.jpegBase64}` }];
    if (image.ref && (image.ref.startsWith('/') || /^https?:/.test(image.ref) || image.ref.startsWith('data:'))) {
      return [{ label: image.kind, url: image.ref }];
    }
    return [];
  });
}
