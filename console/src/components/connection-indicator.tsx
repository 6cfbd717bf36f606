import { useTranslation } from 'react-i18next';
import { useLiveTopic } from '../hooks/use-live-topic';

/** A dot and a word: is the console hearing the hub right now. */
export function ConnectionIndicator() {
  const { t } = useTranslation();
  const { state, attempt } = useLiveTopic('connection');
  const text =
    state === 'reconnecting' && attempt > 0
      ? t('connection.reconnectingAttempt', { attempt })
      : t(`connection.${state}`);
  return (
    <p
      className="connection-indicator"
      data-state={state}
      role="status"
      aria-label={`${t('connection.label')}: ${text}`}
    >
      <span className="connection-indicator__dot" aria-hidden="true" />
      <span>{text}</span>
    </p>
  );
}
