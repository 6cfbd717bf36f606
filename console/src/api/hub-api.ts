import type {
  AlertComment,
  AlertHourlyQuery,
  AlertHourlySeries,
  AlertListQuery,
  AlertRecord,
  AlertStats,
  AlertStatsQuery,
  AlertTrailEntry,
  AssignAlertBody,
  CheckpointRule,
  CheckpointRuleUpdate,
  CommandListQuery,
  CreateUserRequest,
  Department,
  DepartmentBody,
  DeviceActivity,
  DeviceCommandPage,
  DeviceCommandRecord,
  DeviceEntriesQuery,
  DeviceListQuery,
  DeviceRecord,
  DeviceSecretIssued,
  DeviceStatusEntry,
  FacePipelineStatus,
  FaceSearchResult,
  WatchlistListQuery,
  WatchlistPage,
  WatchlistPerson,
  WatchlistPersonPatch,
  HotlistEntry,
  HotlistEntryBody,
  HotlistListQuery,
  HotlistPage,
  HourlyStatistics,
  PassageExportQuery,
  PassageRecord,
  PassageSearchQuery,
  PassageSearchResult,
  PeakHour,
  RegistryImport,
  RegistryImportResult,
  SendCommandBody,
  SessionUser,
  SpeedBucket,
  StatisticsQuery,
  TokenPair,
  TollgateRecord,
  Trajectory,
  TrajectoryQuery,
  UpdateUserRequest,
  UserRecord,
} from '@citywatch/protocol';
import type { QueryValue, RestClient } from './rest-client';

type Query = Record<string, QueryValue>;
const q = (value: object | undefined): Query | undefined => value as Query | undefined;
const id = encodeURIComponent;

/** Statistics queries: the hub fills the defaults (zone, bucket, top). */
export type StatisticsRequest = Pick<StatisticsQuery, 'from' | 'to'> & Partial<StatisticsQuery>;

/**
 * Every hub endpoint the console calls, typed with the protocol's bodies and answers, over the one REST client
 * (so errors and 401s are handled in one place). Pages call these, never `fetch`.
 */
export function createHubApi(client: RestClient) {
  return {
    /** The client itself, for the few calls that are not JSON (images by URL). */
    raw: client,
    auth: {
      signIn: (username: string, password: string) => client.post<TokenPair>('/auth/sign-in', { username, password }),
      refresh: (refreshToken: string) => client.post<TokenPair>('/auth/refresh', { refreshToken }),
      signOut: (refreshToken?: string) => client.post<void>('/auth/sign-out', refreshToken ? { refreshToken } : {}),
      me: () => client.get<SessionUser>('/auth/me'),
      changePassword: (currentPassword: string, newPassword: string) =>
        client.post<void>('/auth/password', { currentPassword, newPassword }),
    },
    users: {
      list: () => client.get<UserRecord[]>('/users'),
      create: (body: CreateUserRequest) => client.post<UserRecord>('/users', body),
      update: (userId: string, body: UpdateUserRequest) => client.patch<UserRecord>(`/users/${id(userId)}`, body),
      remove: (userId: string) => client.delete<void>(`/users/${id(userId)}`),
    },
    alerts: {
      list: (query: Partial<AlertListQuery> = {}) => client.get<AlertRecord[]>('/alerts', { query: q(query) }),
      get: (alertId: string) => client.get<AlertRecord>(`/alerts/${id(alertId)}`),
      trail: (alertId: string) => client.get<AlertTrailEntry[]>(`/alerts/${id(alertId)}/trail`),
      comments: (alertId: string) => client.get<AlertComment[]>(`/alerts/${id(alertId)}/comments`),
      stats: (query: Partial<AlertStatsQuery> = {}) => client.get<AlertStats>('/alerts/stats', { query: q(query) }),
      hourly: (query: AlertHourlyQuery) => client.get<AlertHourlySeries>('/alerts/hourly', { query: q(query) }),
      claim: (alertId: string) => client.post<AlertRecord>(`/alerts/${id(alertId)}/claim`),
      assign: (alertId: string, body: AssignAlertBody) =>
        client.post<AlertRecord>(`/alerts/${id(alertId)}/assign`, body),
      resolve: (alertId: string, resolution: string) =>
        client.post<AlertRecord>(`/alerts/${id(alertId)}/resolve`, { resolution }),
      falseAlarm: (alertId: string, reason: string) =>
        client.post<AlertRecord>(`/alerts/${id(alertId)}/false-alarm`, { reason }),
      reopen: (alertId: string, reason: string) =>
        client.post<AlertRecord>(`/alerts/${id(alertId)}/reopen`, { reason }),
      comment: (alertId: string, text: string) => client.post<AlertRecord>(`/alerts/${id(alertId)}/comments`, { text }),
    },
    departments: {
      list: () => client.get<Department[]>('/departments'),
      save: (body: DepartmentBody) => client.put<Department>(`/departments/${id(body.id)}`, body),
    },
    devices: {
      list: (query: DeviceListQuery = {}) => client.get<DeviceRecord[]>('/devices', { query: q(query) }),
      get: (deviceId: string) => client.get<DeviceRecord>(`/devices/${id(deviceId)}`),
      /** Online/offline changes, newest first. */
      history: (deviceId: string, query: Partial<DeviceEntriesQuery> = {}) =>
        client.get<DeviceStatusEntry[]>(`/devices/${id(deviceId)}/history`, { query: q(query) }),
      /** Recent events of every kind and the last hour's counts (admin, operator, traffic police). */
      events: (deviceId: string, query: Partial<DeviceEntriesQuery> = {}) =>
        client.get<DeviceActivity>(`/devices/${id(deviceId)}/events`, { query: q(query) }),
      rotateSecret: (deviceId: string) => client.post<DeviceSecretIssued>(`/devices/${id(deviceId)}/secret`),
      register: (body: RegistryImport) => client.post<RegistryImportResult>('/registry/import', body),
    },
    /** Commands to one device (admin): the answer is the command, with its reply once there is one. */
    commands: {
      send: (deviceId: string, body: SendCommandBody) =>
        client.post<DeviceCommandRecord>(`/devices/${id(deviceId)}/commands`, body),
      list: (deviceId: string, query: Partial<CommandListQuery> = {}) =>
        client.get<DeviceCommandPage>(`/devices/${id(deviceId)}/commands`, { query: q(query) }),
      get: (deviceId: string, requestId: string) =>
        client.get<DeviceCommandRecord>(`/devices/${id(deviceId)}/commands/${id(requestId)}`),
    },
    tollgates: {
      list: () => client.get<TollgateRecord[]>('/tollgates'),
    },
    checkpoints: {
      search: (query: Partial<PassageSearchQuery>) =>
        client.get<PassageSearchResult>('/checkpoints/passages', { query: q(query) }),
      passage: (eventId: string) => client.get<PassageRecord>(`/checkpoints/passages/${id(eventId)}`),
      exportCsv: (query: PassageExportQuery) =>
        client.get<Blob>('/checkpoints/passages/export.csv', { query: q(query), responseType: 'blob' }),
      trajectory: (query: Partial<TrajectoryQuery> & { plate: string }) =>
        client.get<Trajectory>('/checkpoints/trajectory', { query: q(query) }),
      hourly: (query: StatisticsRequest) =>
        client.get<HourlyStatistics>('/checkpoints/statistics/hourly', { query: q(query) }),
      speeds: (query: StatisticsRequest) =>
        client.get<SpeedBucket[]>('/checkpoints/statistics/speeds', { query: q(query) }),
      peakHours: (query: StatisticsRequest) =>
        client.get<PeakHour[]>('/checkpoints/statistics/peak-hours', { query: q(query) }),
    },
    hotlist: {
      list: (query: Partial<HotlistListQuery> = {}) =>
        client.get<HotlistPage>('/checkpoints/hotlist', { query: q(query) }),
      create: (body: HotlistEntryBody) => client.post<HotlistEntry>('/checkpoints/hotlist', body),
      update: (entryId: string, body: HotlistEntryBody) =>
        client.put<HotlistEntry>(`/checkpoints/hotlist/${id(entryId)}`, body),
      remove: (entryId: string) => client.delete<void>(`/checkpoints/hotlist/${id(entryId)}`),
    },
    faces: {
      listPeople: (query: Partial<WatchlistListQuery> = {}) =>
        client.get<WatchlistPage>('/faces/watchlist/people', { query: q(query) }),
      /** multipart: the person's fields as text parts and one to ten `photo` files. */
      enrol: (form: FormData) => client.post<WatchlistPerson>('/faces/watchlist/people', form),
      update: (personId: string, patch: WatchlistPersonPatch) =>
        client.patch<WatchlistPerson>(`/faces/watchlist/people/${id(personId)}`, patch),
      remove: (personId: string) => client.delete<void>(`/faces/watchlist/people/${id(personId)}`),
      addPhotos: (personId: string, form: FormData) =>
        client.post<WatchlistPerson>(`/faces/watchlist/people/${id(personId)}/photos`, form),
      removePhoto: (personId: string, photoId: string) =>
        client.delete<WatchlistPerson>(`/faces/watchlist/people/${id(personId)}/photos/${id(photoId)}`),
      /** multipart: a `photo` file and FaceSearchQuery's fields as text parts. */
      search: (form: FormData) => client.post<FaceSearchResult>('/faces/search', form),
      status: () => client.get<FacePipelineStatus>('/faces/status'),
    },
    rules: {
      list: () => client.get<CheckpointRule[]>('/checkpoints/rules'),
      update: (ruleId: string, body: CheckpointRuleUpdate) =>
        client.put<CheckpointRule>(`/checkpoints/rules/${id(ruleId)}`, body),
    },
  };
}

export type HubApi = ReturnType<typeof createHubApi>;
