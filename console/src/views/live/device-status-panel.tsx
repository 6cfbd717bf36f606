import { useTranslation } from 'react-i18next';
import { EmptyState } from '../../components/empty-state';
import { useLiveTopic } from '../../hooks/use-live-topic';
import { formatClockTime } from '../../utils/format';

/** The latest devices that went online or offline, newest first. */
export function DeviceStatusPanel() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const { items } = useLiveTopic('deviceStatus');
  return (
    <section className="device-status-panel" aria-labelledby="device-status-title">
      <h2 id="device-status-title">{t('devices.title')}</h2>
      {items.length === 0 ? (
        <EmptyState title={t('devices.waiting')} />
      ) : (
        <ul className="device-status-panel__list" aria-label={t('devices.listLabel')}>
          {items.map((change, index) => (
            <li key={`${change.deviceId}-${change.at}-${index}`} className="device-status" data-state={change.state}>
              <time dateTime={change.at}>{formatClockTime(change.at, locale)}</time>
              <span className="device-status__state">{t(`devices.${change.state}`)}</span>
              <span className="device-status__id">{change.deviceId}</span>
              <span className="device-status__reason">{t(`devices.reason.${change.reason}`)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
