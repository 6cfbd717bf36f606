import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { useLiveTopic } from '../hooks/use-live-topic';
import { formatInteger } from '../utils/format';
import { DeviceStatusPanel } from '../views/live/device-status-panel';
import { PassageList } from '../views/live/passage-list';

/** What the checkpoints read right now, as it arrives, beside the devices coming and going. */
export default function LivePage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const { items, total } = useLiveTopic('passages');
  return (
    <div className="live-page">
      <section className="live-page__passages" aria-labelledby="live-title">
        <header className="live-page__heading">
          <h1 id="live-title">{t('live.title')}</h1>
          <p className="live-page__count" data-testid="passage-count">
            {t('live.received', { total: formatInteger(total, locale) })}
            {total > items.length
              ? ` · ${t('live.showingLatest', { shown: formatInteger(items.length, locale) })}`
              : null}
          </p>
        </header>
        {items.length === 0 ? (
          <EmptyState title={t('live.waiting')} hint={t('live.waitingHint')} />
        ) : (
          <PassageList passages={items} />
        )}
      </section>
      <DeviceStatusPanel />
    </div>
  );
}
