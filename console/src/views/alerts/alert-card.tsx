import type { AlertRecord } from '@citywatch/protocol';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatClockTime, formatDateTime } from '../../utils/format';

interface AlertCardProps {
  alert: AlertRecord;
  selected: boolean;
  /** The wall's one tab stop (the focused card, else the first). */
  tabStop: boolean;
  /** 1-based place in the wall, and how many cards it has (for screen readers: the feed pattern). */
  position: number;
  setSize: number;
  canClaim: boolean;
  busy: boolean;
  top: number;
  onOpen: (alertId: string) => void;
  onClaim: (alertId: string) => void;
}

/**
 * One alert on the wall: severity colour, what, where, when, who holds it; claim from the card itself. The card
 * is focusable (the wall moves focus between cards with the arrow keys; Enter opens the detail).
 */
export const AlertCard = memo(function AlertCard({
  alert,
  selected,
  tabStop,
  position,
  setSize,
  canClaim,
  busy,
  top,
  onOpen,
  onClaim,
}: AlertCardProps) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  return (
    <article
      className="alert-card"
      data-alert-id={alert.id}
      data-severity={alert.severity}
      data-state={alert.state}
      aria-current={selected ? 'true' : undefined}
      aria-posinset={position}
      aria-setsize={setSize}
      tabIndex={tabStop ? 0 : -1}
      style={{ transform: `translateY(${top}px)` }}
      aria-labelledby={`alert-title-${alert.id}`}
    >
      <div className="alert-card__severity">{t(`alerts.severity.${alert.severity}`)}</div>
      <div className="alert-card__body">
        <h3 className="alert-card__title" id={`alert-title-${alert.id}`}>
          <button type="button" className="link-button" onClick={() => onOpen(alert.id)}>
            {alert.title}
          </button>
        </h3>
        <p className="alert-card__meta">
          <span>{t(`alerts.type.${alert.type}`)}</span>
          {alert.area ? <span>{alert.area}</span> : null}
          {alert.deviceId ? <span className="numeric">{alert.deviceId}</span> : null}
          {alert.count > 1 ? <span>{t('alerts.repeated', { count: alert.count })}</span> : null}
        </p>
        <p className="alert-card__meta">
          <time dateTime={alert.occurredAt} title={formatDateTime(alert.occurredAt, locale)}>
            {formatClockTime(alert.occurredAt, locale)}
          </time>
          {alert.claimedByName ? <span>{t('alerts.claimedBy', { name: alert.claimedByName })}</span> : null}
          {alert.departmentId ? <span>{t('alerts.assignedTo', { department: alert.departmentId })}</span> : null}
          {alert.deadline ? (
            <span className={alert.overdue ? 'text-danger' : undefined}>
              {t(alert.overdue ? 'alerts.overdueSince' : 'alerts.deadlineAt', {
                time: formatDateTime(alert.deadline, locale),
              })}
            </span>
          ) : null}
        </p>
      </div>
      <div className="alert-card__side">
        <span className="state-badge" data-state={alert.state}>
          {t(`alerts.state.${alert.state}`)}
        </span>
        {canClaim && alert.state === 'new' ? (
          <button type="button" className="button button--primary" disabled={busy} onClick={() => onClaim(alert.id)}>
            {t('alerts.actions.claim')}
          </button>
        ) : null}
        <button type="button" className="button" onClick={() => onOpen(alert.id)}>
          {t('alerts.details')}
        </button>
      </div>
    </article>
  );
});
