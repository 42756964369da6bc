-- Steward's schema. Times are INTEGER unix nanoseconds (UTC); NULL is the zero time.

CREATE TABLE policy_versions (
    id         TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER,
    body       TEXT    NOT NULL, -- JSON, see storedPolicy
    PRIMARY KEY (id, version)
) WITHOUT ROWID;

-- The latest version of each policy, and whether it is retired.
CREATE TABLE policies (
    id      TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (id, version) REFERENCES policy_versions (id, version)
) WITHOUT ROWID;

CREATE TABLE requests (
    id         TEXT    NOT NULL PRIMARY KEY,
    requester  TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER,
    body       TEXT    NOT NULL -- JSON of approvals.Request
);
CREATE INDEX requests_by_created ON requests (created_at DESC, id DESC);
CREATE INDEX requests_by_requester ON requests (requester, created_at DESC);
CREATE INDEX requests_by_state ON requests (state, created_at DESC);

-- Who may decide a request, for exact ListRequests(Approver) matches.
CREATE TABLE request_approvers (
    request_id TEXT NOT NULL REFERENCES requests (id),
    approver   TEXT NOT NULL,
    PRIMARY KEY (approver, request_id)
) WITHOUT ROWID;

CREATE TABLE grants (
    id         TEXT    NOT NULL PRIMARY KEY, -- deterministic: request id + asset
    request_id TEXT    NOT NULL REFERENCES requests (id),
    user_id    TEXT    NOT NULL,
    asset      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    granted_at INTEGER,
    expires_at INTEGER,
    state      TEXT    NOT NULL,
    ended_at   INTEGER,
    ended_by   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX grants_due ON grants (state, expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX grants_by_request ON grants (request_id);
CREATE INDEX grants_by_user ON grants (user_id);
CREATE INDEX grants_by_asset ON grants (asset);

CREATE TABLE message_refs (
    request_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    ts         TEXT NOT NULL,
    PRIMARY KEY (request_id, kind)
) WITHOUT ROWID;

CREATE TABLE claims (
    key        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order breaks ties in time
    id      TEXT    NOT NULL UNIQUE,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    before  TEXT    NOT NULL DEFAULT '',
    after   TEXT    NOT NULL DEFAULT '',
    detail  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_at ON audit (at, seq);
CREATE INDEX audit_by_subject ON audit (subject, at, seq);
CREATE INDEX audit_by_actor ON audit (actor, at, seq);

-- The audit log is append-only, whatever the client.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE recerts (
    id         TEXT    NOT NULL PRIMARY KEY,
    grant_id   TEXT    NOT NULL,
    approver   TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER,
    body       TEXT    NOT NULL -- JSON of approvals.RecertItem
);
CREATE INDEX recerts_by_state ON recerts (state);
CREATE INDEX recerts_by_approver ON recerts (approver);
CREATE INDEX recerts_by_grant ON recerts (grant_id);

CREATE TABLE recommendations (
    id         TEXT    NOT NULL PRIMARY KEY,
    state      TEXT    NOT NULL,
    created_at INTEGER,
    body       TEXT    NOT NULL -- JSON, see storedRecommendation
);
CREATE INDEX recommendations_by_state ON recommendations (state, created_at);

CREATE TABLE usage (
    user_id       TEXT    NOT NULL,
    asset         TEXT    NOT NULL,
    known         INTEGER NOT NULL,
    last_query_at INTEGER,
    query_count   INTEGER NOT NULL,
    reported_at   INTEGER,
    PRIMARY KEY (user_id, asset)
) WITHOUT ROWID;

CREATE TABLE workspaces (
    team_id      TEXT    NOT NULL PRIMARY KEY,
    team_name    TEXT    NOT NULL,
    bot_user_id  TEXT    NOT NULL,
    bot_token    TEXT    NOT NULL, -- secret: never logged
    installed_by TEXT    NOT NULL,
    installed_at INTEGER
) WITHOUT ROWID;
